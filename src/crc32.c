/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final XOR
 * 0xFFFFFFFF): the CRC of zlib's crc32() and Python's zlib.crc32().
 *
 * Slice-by-16: sixteen bytes per step through sixteen 256-entry tables,
 * about 3 GB/s, so checking a 10 MB model costs a few milliseconds.
 */
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The tables are constant data built by the compiler, not at run time (no
 * init-once state). CRC without init/final XOR is linear over GF(2), so an
 * entry is the XOR of the entries of its set bits: table k is generated
 * from its 8 one-bit entries T[k][1 << b]. T[0][i] is the CRC register after
 * shifting in byte i; T[k][i] is that followed by k zero bytes. */
#define K0  0x77073096, 0xee0e612c, 0x076dc419, 0x0edb8832, 0x1db71064, 0x3b6e20c8, 0x76dc4190, 0xedb88320
#define K1  0x191b3141, 0x32366282, 0x646cc504, 0xc8d98a08, 0x4ac21251, 0x958424a2, 0xf0794f05, 0x3b83984b
#define K2  0x01c26a37, 0x0384d46e, 0x0709a8dc, 0x0e1351b8, 0x1c26a370, 0x384d46e0, 0x709a8dc0, 0xe1351b80
#define K3  0xb8bc6765, 0xaa09c88b, 0x8f629757, 0xc5b428ef, 0x5019579f, 0xa032af3e, 0x9b14583d, 0xed59b63b
#define K4  0x3d6029b0, 0x7ac05360, 0xf580a6c0, 0x30704bc1, 0x60e09782, 0xc1c12f04, 0x58f35849, 0xb1e6b092
#define K5  0xcb5cd3a5, 0x4dc8a10b, 0x9b914216, 0xec53826d, 0x03d6029b, 0x07ac0536, 0x0f580a6c, 0x1eb014d8
#define K6  0xa6770bb4, 0x979f1129, 0xf44f2413, 0x33ef4e67, 0x67de9cce, 0xcfbd399c, 0x440b7579, 0x8816eaf2
#define K7  0xccaa009e, 0x4225077d, 0x844a0efa, 0xd3e51bb5, 0x7cbb312b, 0xf9766256, 0x299dc2ed, 0x533b85da
#define K8  0x177b1443, 0x2ef62886, 0x5dec510c, 0xbbd8a218, 0xacc04271, 0x82f182a3, 0xde920307, 0x6655004f
#define K9  0xefc26b3e, 0x04f5d03d, 0x09eba07a, 0x13d740f4, 0x27ae81e8, 0x4f5d03d0, 0x9eba07a0, 0xe6050901
#define K10 0xc18edfc0, 0x586cb9c1, 0xb0d97382, 0xbac3e145, 0xaef6c4cb, 0x869c8fd7, 0xd64819ef, 0x77e1359f
#define K11 0x9ba54c6f, 0xec3b9e9f, 0x03063b7f, 0x060c76fe, 0x0c18edfc, 0x1831dbf8, 0x3063b7f0, 0x60c76fe0
#define K12 0xdd96d985, 0x605cb54b, 0xc0b96a96, 0x5a03d36d, 0xb407a6da, 0xb37e4bf5, 0xbd8d91ab, 0xa06a2517
#define K13 0x9d0fe176, 0xe16ec4ad, 0x19ac8f1b, 0x33591e36, 0x66b23c6c, 0xcd6478d8, 0x41b9f7f1, 0x8373efe2
#define K14 0xb9fbdbe8, 0xa886b191, 0x8a7c6563, 0xcf89cc87, 0x44629f4f, 0x88c53e9e, 0xcafb7b7d, 0x4e87f0bb
#define K15 0xae689191, 0x87a02563, 0xd4314c87, 0x73139f4f, 0xe6273e9e, 0x173f7b7d, 0x2e7ef6fa, 0x5cfdedf4

#define ENTRY_(i, b0, b1, b2, b3, b4, b5, b6, b7) \
    (((i) & 1 ? b0 : 0u) ^ ((i) & 2 ? b1 : 0u) ^ ((i) & 4 ? b2 : 0u) ^ ((i) & 8 ? b3 : 0u) ^ \
     ((i) & 16 ? b4 : 0u) ^ ((i) & 32 ? b5 : 0u) ^ ((i) & 64 ? b6 : 0u) ^ ((i) & 128 ? b7 : 0u))
/* k (the table number) becomes K<k> only here, so its 8 basis values turn
 * into 8 macro arguments at the last step. */
#define ENTRY_X(i, basis) ENTRY_(i, basis)
#define ENTRY(i, k)  ENTRY_X(i, K##k)
#define E4(i, k)     ENTRY(i, k), ENTRY((i) + 1, k), ENTRY((i) + 2, k), ENTRY((i) + 3, k)
#define E16(i, k)    E4(i, k), E4((i) + 4, k), E4((i) + 8, k), E4((i) + 12, k)
#define E64(i, k)    E16(i, k), E16((i) + 16, k), E16((i) + 32, k), E16((i) + 48, k)
#define E256(k)      { E64(0, k), E64(64, k), E64(128, k), E64(192, k) }

static const uint32_t crc_tab[16][256] = {
    E256(0),  E256(1),  E256(2),  E256(3),  E256(4),  E256(5),  E256(6),  E256(7),
    E256(8),  E256(9),  E256(10), E256(11), E256(12), E256(13), E256(14), E256(15),
};

/* Little-endian 32-bit load, byte by byte: no alignment or host-endianness
 * assumption; compilers turn it into one load on little-endian hosts. */
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define T4(t, w) (crc_tab[t][(w) & 0xff] ^ crc_tab[(t) - 1][((w) >> 8) & 0xff] ^ \
                  crc_tab[(t) - 2][((w) >> 16) & 0xff] ^ crc_tab[(t) - 3][(w) >> 24])

uint32_t lutsr_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t c = ~crc;

    for (; len >= 16; len -= 16, p += 16) {
        uint32_t w0 = c ^ rd32(p), w1 = rd32(p + 4), w2 = rd32(p + 8), w3 = rd32(p + 12);
        c = T4(15, w0) ^ T4(11, w1) ^ T4(7, w2) ^ T4(3, w3);
    }
    while (len--)
        c = (c >> 8) ^ crc_tab[0][(c ^ *p++) & 0xff];
    return ~c;
}
