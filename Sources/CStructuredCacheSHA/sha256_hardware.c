// SHA-256 compression using the CPU's SHA instructions, with run-time detection so that one binary
// runs everywhere. The portable Swift implementation handles every CPU without them.
#include "CStructuredCacheSHA.h"

static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#if defined(__x86_64__) || defined(_M_X64)

#include <cpuid.h>
#include <immintrin.h>

int structuredcache_sha256_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1;
    int sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

// Four rounds: add the constants to the message words, then two rounds per sha256rnds2.
#define SC_ROUNDS4(msgVector, group)                                                        \
    do {                                                                                    \
        __m128i msg = _mm_add_epi32((msgVector), _mm_load_si128((const __m128i *)&K256[4 * (group)])); \
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                                \
        state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));       \
    } while (0)

// The next four message words from the previous sixteen: w0 <- schedule(w0, w1, w2, w3).
#define SC_SCHEDULE(w0, w1, w2, w3)                                                         \
    do {                                                                                    \
        w0 = _mm_sha256msg1_epu32(w0, w1);                                                  \
        w0 = _mm_add_epi32(w0, _mm_alignr_epi8(w3, w2, 4));                                 \
        w0 = _mm_sha256msg2_epu32(w0, w3);                                                  \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
void structuredcache_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    // The SHA instructions keep the state as ABEF and CDGH.
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    state1 = _mm_shuffle_epi32(state1, 0x1B);
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);

    while (blocks--) {
        const __m128i abefSave = state0;
        const __m128i cdghSave = state1;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteSwap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteSwap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteSwap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteSwap);

        SC_ROUNDS4(w0, 0);
        SC_ROUNDS4(w1, 1);
        SC_ROUNDS4(w2, 2);
        SC_ROUNDS4(w3, 3);
        SC_SCHEDULE(w0, w1, w2, w3); SC_ROUNDS4(w0, 4);
        SC_SCHEDULE(w1, w2, w3, w0); SC_ROUNDS4(w1, 5);
        SC_SCHEDULE(w2, w3, w0, w1); SC_ROUNDS4(w2, 6);
        SC_SCHEDULE(w3, w0, w1, w2); SC_ROUNDS4(w3, 7);
        SC_SCHEDULE(w0, w1, w2, w3); SC_ROUNDS4(w0, 8);
        SC_SCHEDULE(w1, w2, w3, w0); SC_ROUNDS4(w1, 9);
        SC_SCHEDULE(w2, w3, w0, w1); SC_ROUNDS4(w2, 10);
        SC_SCHEDULE(w3, w0, w1, w2); SC_ROUNDS4(w3, 11);
        SC_SCHEDULE(w0, w1, w2, w3); SC_ROUNDS4(w0, 12);
        SC_SCHEDULE(w1, w2, w3, w0); SC_ROUNDS4(w1, 13);
        SC_SCHEDULE(w2, w3, w0, w1); SC_ROUNDS4(w2, 14);
        SC_SCHEDULE(w3, w0, w1, w2); SC_ROUNDS4(w3, 15);

        state0 = _mm_add_epi32(state0, abefSave);
        state1 = _mm_add_epi32(state1, cdghSave);
        data += 64;
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);
    state1 = _mm_shuffle_epi32(state1, 0xB1);
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);
    state1 = _mm_alignr_epi8(state1, tmp, 8);
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

#elif defined(__aarch64__) || defined(_M_ARM64)

#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#endif

int structuredcache_sha256_hardware_available(void) {
#if defined(__APPLE__)
    return 1;  // Every Apple arm64 CPU has the SHA-256 instructions.
#elif defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
#else
    return 0;
#endif
}

// Four rounds of the arm64 SHA-256 instructions.
#define SC_ARM_ROUNDS4(msgVector, group)                                        \
    do {                                                                        \
        const uint32x4_t msg = vaddq_u32((msgVector), vld1q_u32(&K256[4 * (group)])); \
        const uint32x4_t abcd = state0;                                         \
        state0 = vsha256hq_u32(state0, state1, msg);                            \
        state1 = vsha256h2q_u32(state1, abcd, msg);                             \
    } while (0)

#define SC_ARM_SCHEDULE(w0, w1, w2, w3) w0 = vsha256su1q_u32(vsha256su0q_u32(w0, w1), w2, w3)

__attribute__((target("+sha2")))
void structuredcache_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32x4_t state0 = vld1q_u32(&state[0]);
    uint32x4_t state1 = vld1q_u32(&state[4]);

    while (blocks--) {
        const uint32x4_t abcdSave = state0;
        const uint32x4_t efghSave = state1;
        uint32x4_t w0 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 0)));
        uint32x4_t w1 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 16)));
        uint32x4_t w2 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 32)));
        uint32x4_t w3 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 48)));

        SC_ARM_ROUNDS4(w0, 0);
        SC_ARM_ROUNDS4(w1, 1);
        SC_ARM_ROUNDS4(w2, 2);
        SC_ARM_ROUNDS4(w3, 3);
        SC_ARM_SCHEDULE(w0, w1, w2, w3); SC_ARM_ROUNDS4(w0, 4);
        SC_ARM_SCHEDULE(w1, w2, w3, w0); SC_ARM_ROUNDS4(w1, 5);
        SC_ARM_SCHEDULE(w2, w3, w0, w1); SC_ARM_ROUNDS4(w2, 6);
        SC_ARM_SCHEDULE(w3, w0, w1, w2); SC_ARM_ROUNDS4(w3, 7);
        SC_ARM_SCHEDULE(w0, w1, w2, w3); SC_ARM_ROUNDS4(w0, 8);
        SC_ARM_SCHEDULE(w1, w2, w3, w0); SC_ARM_ROUNDS4(w1, 9);
        SC_ARM_SCHEDULE(w2, w3, w0, w1); SC_ARM_ROUNDS4(w2, 10);
        SC_ARM_SCHEDULE(w3, w0, w1, w2); SC_ARM_ROUNDS4(w3, 11);
        SC_ARM_SCHEDULE(w0, w1, w2, w3); SC_ARM_ROUNDS4(w0, 12);
        SC_ARM_SCHEDULE(w1, w2, w3, w0); SC_ARM_ROUNDS4(w1, 13);
        SC_ARM_SCHEDULE(w2, w3, w0, w1); SC_ARM_ROUNDS4(w2, 14);
        SC_ARM_SCHEDULE(w3, w0, w1, w2); SC_ARM_ROUNDS4(w3, 15);

        state0 = vaddq_u32(state0, abcdSave);
        state1 = vaddq_u32(state1, efghSave);
        data += 64;
    }

    vst1q_u32(&state[0], state0);
    vst1q_u32(&state[4], state1);
}

#else

int structuredcache_sha256_hardware_available(void) { return 0; }

void structuredcache_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state;
    (void)data;
    (void)blocks;
}

#endif
