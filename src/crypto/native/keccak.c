/*
 * keccak-f[1600] and the keccak-256 sponge (rate 136 bytes, capacity 512 bits).
 * Lanes are little-endian 64-bit words; loads go through memcpy so unaligned records are fine and
 * the compiler emits plain moves on x86-64 / arm64.
 */
#include "keccak.h"
#include <string.h>

#define RATE 136
#define ROUNDS 24

static const uint64_t RC[ROUNDS] = {
  0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
  0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
  0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
  0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
  0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
  0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rol(uint64_t x, unsigned s) { return (x << s) | (x >> ((64 - s) & 63)); }

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline void store64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/*
 * One permutation, written out per step (theta, rho+pi, chi, iota) with the lane index
 * A[x + 5y]. rho+pi moves lane (x, y) to (y, 2x + 3y) rotated by its rho offset; the offsets below
 * are listed in destination order so the step is a straight-line block the compiler can schedule.
 */
static void keccakf(uint64_t A[25]) {
  for (int round = 0; round < ROUNDS; round++) {
    uint64_t C0 = A[0] ^ A[5] ^ A[10] ^ A[15] ^ A[20];
    uint64_t C1 = A[1] ^ A[6] ^ A[11] ^ A[16] ^ A[21];
    uint64_t C2 = A[2] ^ A[7] ^ A[12] ^ A[17] ^ A[22];
    uint64_t C3 = A[3] ^ A[8] ^ A[13] ^ A[18] ^ A[23];
    uint64_t C4 = A[4] ^ A[9] ^ A[14] ^ A[19] ^ A[24];
    uint64_t D0 = C4 ^ rol(C1, 1);
    uint64_t D1 = C0 ^ rol(C2, 1);
    uint64_t D2 = C1 ^ rol(C3, 1);
    uint64_t D3 = C2 ^ rol(C4, 1);
    uint64_t D4 = C3 ^ rol(C0, 1);

    /* theta applied while reading; B[x + 5y] after rho and pi */
    uint64_t B[25];
    B[0]  = A[0] ^ D0;
    B[1]  = rol(A[6] ^ D1, 44);
    B[2]  = rol(A[12] ^ D2, 43);
    B[3]  = rol(A[18] ^ D3, 21);
    B[4]  = rol(A[24] ^ D4, 14);
    B[5]  = rol(A[3] ^ D3, 28);
    B[6]  = rol(A[9] ^ D4, 20);
    B[7]  = rol(A[10] ^ D0, 3);
    B[8]  = rol(A[16] ^ D1, 45);
    B[9]  = rol(A[22] ^ D2, 61);
    B[10] = rol(A[1] ^ D1, 1);
    B[11] = rol(A[7] ^ D2, 6);
    B[12] = rol(A[13] ^ D3, 25);
    B[13] = rol(A[19] ^ D4, 8);
    B[14] = rol(A[20] ^ D0, 18);
    B[15] = rol(A[4] ^ D4, 27);
    B[16] = rol(A[5] ^ D0, 36);
    B[17] = rol(A[11] ^ D1, 10);
    B[18] = rol(A[17] ^ D2, 15);
    B[19] = rol(A[23] ^ D3, 56);
    B[20] = rol(A[2] ^ D2, 62);
    B[21] = rol(A[8] ^ D3, 55);
    B[22] = rol(A[14] ^ D4, 39);
    B[23] = rol(A[15] ^ D0, 41);
    B[24] = rol(A[21] ^ D1, 2);

    for (int y = 0; y < 25; y += 5) {
      uint64_t b0 = B[y], b1 = B[y + 1], b2 = B[y + 2], b3 = B[y + 3], b4 = B[y + 4];
      A[y]     = b0 ^ (~b1 & b2);
      A[y + 1] = b1 ^ (~b2 & b3);
      A[y + 2] = b2 ^ (~b3 & b4);
      A[y + 3] = b3 ^ (~b4 & b0);
      A[y + 4] = b4 ^ (~b0 & b1);
    }
    A[0] ^= RC[round];
  }
}

static inline void squeeze32(const uint64_t A[25], uint8_t out[32]) {
  store64(out, A[0]);
  store64(out + 8, A[1]);
  store64(out + 16, A[2]);
  store64(out + 24, A[3]);
}

void bttc_keccak256(const uint8_t *data, size_t len, uint8_t out[32]) {
  uint64_t A[25] = {0};
  while (len >= RATE) {
    for (int i = 0; i < RATE / 8; i++) A[i] ^= load64(data + 8 * i);
    keccakf(A);
    data += RATE;
    len -= RATE;
  }
  /* last (possibly empty) block: the rest, then pad10*1 with the Keccak domain byte 0x01 */
  uint8_t block[RATE];
  memset(block, 0, RATE);
  if (len) memcpy(block, data, len);
  block[len] ^= 0x01;
  block[RATE - 1] ^= 0x80;
  for (int i = 0; i < RATE / 8; i++) A[i] ^= load64(block + 8 * i);
  keccakf(A);
  squeeze32(A, out);
}

/* The Merkle case: a 64-byte record (two child hashes) is a single block with no copy. */
static inline void keccak256_64(const uint8_t *data, uint8_t out[32]) {
  uint64_t A[25] = {0};
  for (int i = 0; i < 8; i++) A[i] = load64(data + 8 * i);
  A[8] = 0x01;
  A[16] = 0x8000000000000000ULL;
  keccakf(A);
  squeeze32(A, out);
}

void bttc_keccak256_records(const uint8_t *in, size_t record_size, size_t count, uint8_t *out) {
  if (record_size == 64) {
    for (size_t i = 0; i < count; i++) keccak256_64(in + i * 64, out + i * 32);
    return;
  }
  for (size_t i = 0; i < count; i++) bttc_keccak256(in + i * record_size, record_size, out + i * 32);
}
