/*
 * Standalone replay driver for fuzz_model.c, for machines without libFuzzer
 * or to rerun a crash file under a debugger:
 *
 *   cc -g -fsanitize=address,undefined -Iinclude -Isrc tests/fuzz/fuzz_main.c \
 *      tests/fuzz/fuzz_model.c build/lib/liblutsr.a -lpthread -lm -o fuzz_replay
 *   ./fuzz_replay tests/fuzz/corpus crash-1234
 *
 * Arguments are files or directories (their regular files, not recursive).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0, n;
    do {
        if (size == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        n = fread(buf + size, 1, cap - size, f);
        size += n;
    } while (n);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            failed++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed += replay_file(argv[i]) < 0;
            count++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            perror(argv[i]);
            failed++;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                failed += replay_file(path) < 0;
                count++;
            }
        }
        closedir(d);
    }
    printf("replayed %d inputs, %d unreadable\n", count, failed);
    return failed ? 1 : 0;
}
