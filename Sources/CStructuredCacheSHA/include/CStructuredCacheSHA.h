// SHA-256 block compression with the CPU's SHA instructions (x86-64 SHA extensions, arm64 crypto
// extensions), for the Swift SHA256 type to use when the running CPU has them.
#ifndef CSTRUCTUREDCACHE_SHA_H
#define CSTRUCTUREDCACHE_SHA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Returns 1 when this CPU can run structuredcache_sha256_hardware_blocks, 0 otherwise.
int structuredcache_sha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks at `data` into `state` (eight words, a..h).
/// Call only when structuredcache_sha256_hardware_available() returned 1.
void structuredcache_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#ifdef __cplusplus
}
#endif

#endif
