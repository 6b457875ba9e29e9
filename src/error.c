/*
 * Static English descriptions of the LutsrError codes.
 */
#include "lutsr/lutsr.h"

const char *lutsr_strerror(int code)
{
    switch ((LutsrError)code) {
    case LUTSR_OK:                    return "success";
    case LUTSR_ERR_INVALID_ARG:       return "invalid argument";
    case LUTSR_ERR_NOMEM:             return "out of memory";
    case LUTSR_ERR_IO:                return "I/O error";
    case LUTSR_ERR_MODEL_MAGIC:       return "not a lutsr model file";
    case LUTSR_ERR_MODEL_VERSION:     return "unsupported model format version";
    case LUTSR_ERR_MODEL_TRUNCATED:   return "model file is truncated";
    case LUTSR_ERR_MODEL_CHECKSUM:    return "model file is corrupted (CRC32 mismatch)";
    case LUTSR_ERR_MODEL_RANGE:       return "model field out of range or inconsistent";
    case LUTSR_ERR_MODEL_KIND:        return "unsupported model kind";
    case LUTSR_ERR_MODEL_NOT_FOUND:   return "model not found";
    case LUTSR_ERR_UNSUPPORTED_SCALE: return "unsupported scale (must be 2, 3 or 4)";
    case LUTSR_ERR_UNSUPPORTED_SIZE:  return "unsupported plane size";
    case LUTSR_ERR_THREAD:            return "thread creation failed";
    }
    return "unknown error";
}
