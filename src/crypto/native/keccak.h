/* keccak-256 (the original Keccak padding 0x01, as Ethereum uses; not SHA3-256's 0x06). */
#ifndef BTTC_KECCAK_H
#define BTTC_KECCAK_H
#include <stddef.h>
#include <stdint.h>

void bttc_keccak256(const uint8_t *data, size_t len, uint8_t out[32]);
/* Hashes `count` consecutive records of `record_size` bytes from `in` into count*32 bytes of `out`. */
void bttc_keccak256_records(const uint8_t *in, size_t record_size, size_t count, uint8_t *out);

#endif
