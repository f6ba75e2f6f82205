/*
 * N-API surface of the batch hasher. Callers pass the output buffer, so a call does no allocation
 * and no copy on either side: one call hashes a whole Merkle layer.
 *
 *   keccak256(input: Uint8Array, out: Uint8Array of >= 32 bytes): void
 *   keccak256Records(input: Uint8Array, recordSize: number, out: Uint8Array of >= count*32 bytes): count
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include "keccak.h"

#define CHECK(call)                                                       \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, NULL, "bttc_keccak: N-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* Any Uint8Array (or other byte-sized typed array); returns 0 and throws a TypeError otherwise. */
static int get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    char msg[96];
    snprintf(msg, sizeof msg, "bttc_keccak: %s must be a Uint8Array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) {
    napi_throw_error(env, NULL, "bttc_keccak: napi_get_typedarray_info failed");
    return 0;
  }
  if (type != napi_uint8_array && type != napi_int8_array && type != napi_uint8_clamped_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "bttc_keccak: %s must be a Uint8Array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *data = (uint8_t *)ptr;
  *len = length;
  return 1;
}

static napi_value js_keccak256(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "bttc_keccak: keccak256(input, out) needs 2 arguments");
    return NULL;
  }
  uint8_t *in, *out;
  size_t in_len, out_len;
  if (!get_bytes(env, argv[0], "input", &in, &in_len)) return NULL;
  if (!get_bytes(env, argv[1], "out", &out, &out_len)) return NULL;
  if (out_len < 32) {
    napi_throw_range_error(env, NULL, "bttc_keccak: out must hold 32 bytes");
    return NULL;
  }
  bttc_keccak256(in, in_len, out);
  return NULL;
}

static napi_value js_keccak256_records(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "bttc_keccak: keccak256Records(input, recordSize, out) needs 3 arguments");
    return NULL;
  }
  uint8_t *in, *out;
  size_t in_len, out_len;
  if (!get_bytes(env, argv[0], "input", &in, &in_len)) return NULL;
  double rs;
  if (napi_get_value_double(env, argv[1], &rs) != napi_ok || !(rs >= 1) || rs != (double)(int64_t)rs || rs > 1e12) {
    napi_throw_range_error(env, NULL, "bttc_keccak: recordSize must be a positive integer");
    return NULL;
  }
  size_t record_size = (size_t)rs;
  if (in_len % record_size != 0) {
    napi_throw_range_error(env, NULL, "bttc_keccak: input length is not a multiple of recordSize");
    return NULL;
  }
  if (!get_bytes(env, argv[2], "out", &out, &out_len)) return NULL;
  size_t count = in_len / record_size;
  if (out_len < count * 32) {
    napi_throw_range_error(env, NULL, "bttc_keccak: out is smaller than count*32 bytes");
    return NULL;
  }
  /* in-place is fine for records >= 32 bytes: record i is read before output i is written and
     output i never reaches past record i's start (i*32 <= i*record_size) */
  bttc_keccak256_records(in, record_size, count, out);
  napi_value result;
  CHECK(napi_create_double(env, (double)count, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"keccak256", NULL, js_keccak256, NULL, NULL, NULL, napi_enumerable, NULL},
    {"keccak256Records", NULL, js_keccak256_records, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
