/* Example npubench runner in C (runner protocol v2; docs/runner-protocol.md) for a fake NPU.
 *
 * Build:  cc -std=c99 -O2 -Wall -o runner runner.c fake-device.c
 * Run:    npubench runner-check --runner ./runner test/fixtures/models/tiny-linear.onnx
 *
 * It speaks hello, load, load_samples (inputs by file), run by sample index (a sha256 digest of every
 * output on every query) and close, one request at a time. Every place a real runner calls its vendor
 * SDK is marked VENDOR SDK; the fake device behind them is fake-device.c. Protocol lines go to stdout,
 * one per response, flushed at once; anything else goes to stderr.
 *
 * ISO C99 plus one POSIX call, clock_gettime(CLOCK_MONOTONIC), for the runner-measured device times.
 * The JSON reader below handles what the host sends (objects, arrays, strings, numbers, true/false/null);
 * it is not a general-purpose parser. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake-device.h"

#define MAX_LINE_BYTES (16u * 1024u * 1024u) /* the protocol's limit, newline included */
#define MAX_LIBRARY_SAMPLES 65536u

/* ---------------------------------------------------------------------------------------------------
 * SHA-256 (FIPS 180-4): the digest the protocol asks for, of each output's raw little-endian bytes. */

struct sha256 {
    uint32_t state[8];
    uint64_t length;
    unsigned char block[64];
    size_t used;
};

static const uint32_t SHA256_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *h, const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
    int i;
    for (i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h->state[0], b = h->state[1], c = h->state[2], d = h->state[3];
    e = h->state[4], f = h->state[5], g = h->state[6], k = h->state[7];
    for (i = 0; i < 64; i++) {
        t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i];
        t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h->state[0] += a, h->state[1] += b, h->state[2] += c, h->state[3] += d;
    h->state[4] += e, h->state[5] += f, h->state[6] += g, h->state[7] += k;
}

static void sha256_init(struct sha256 *h) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, initial, sizeof initial);
    h->length = 0;
    h->used = 0;
}

static void sha256_update(struct sha256 *h, const unsigned char *data, size_t size) {
    h->length += size;
    while (size > 0) {
        size_t take = 64 - h->used < size ? 64 - h->used : size;
        memcpy(h->block + h->used, data, take);
        h->used += take, data += take, size -= take;
        if (h->used == 64) sha256_block(h, h->block), h->used = 0;
    }
}

/* Finishes the hash and writes it as 64 lower-case hex digits and a NUL. */
static void sha256_hex(struct sha256 *h, char out[65]) {
    uint64_t bits = h->length * 8;
    unsigned char pad = 0x80, length[8];
    int i;
    sha256_update(h, &pad, 1);
    pad = 0;
    while (h->used != 56) sha256_update(h, &pad, 1);
    for (i = 0; i < 8; i++) length[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(h, length, 8);
    for (i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", (unsigned)(h->state[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
}

/* ---------------------------------------------------------------------------------------------------
 * A minimal JSON reader: one request line into a tree, freed after the answer. */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    int boolean;
    double number;
    char *string;       /* JSON_STRING: NUL-terminated, escapes decoded */
    size_t count;       /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json *items; /* the array's items or the object's values */
    char **keys;        /* JSON_OBJECT: the member names */
};

static void json_free(struct json *v) {
    size_t i;
    for (i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->keys != NULL) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof *v);
}

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends code point `cp` as UTF-8. */
static char *put_utf8(char *out, unsigned long cp) {
    if (cp < 0x80) *out++ = (char)cp;
    else if (cp < 0x800) *out++ = (char)(0xc0 | cp >> 6), *out++ = (char)(0x80 | (cp & 0x3f));
    else if (cp < 0x10000) *out++ = (char)(0xe0 | cp >> 12), *out++ = (char)(0x80 | (cp >> 6 & 0x3f)), *out++ = (char)(0x80 | (cp & 0x3f));
    else *out++ = (char)(0xf0 | cp >> 18), *out++ = (char)(0x80 | (cp >> 12 & 0x3f)), *out++ = (char)(0x80 | (cp >> 6 & 0x3f)), *out++ = (char)(0x80 | (cp & 0x3f));
    return out;
}

static int read_hex4(const char *p, unsigned long *value) {
    int i;
    *value = 0;
    for (i = 0; i < 4; i++) {
        int d = hex_value(p[i]);
        if (d < 0) return 0;
        *value = *value << 4 | (unsigned long)d;
    }
    return 1;
}

/* `p` is just past the opening quote; returns the position after the closing one, or NULL. */
static const char *parse_string(const char *p, char **result) {
    const char *end = p;
    char *out;
    while (*end != '"') {
        if (*end == '\0') return NULL;
        if (*end == '\\' && end[1] != '\0') end++;
        end++;
    }
    /* Decoded text is never longer than its escaped form. */
    *result = out = malloc((size_t)(end - p) + 1);
    if (out == NULL) return NULL;
    while (p < end) {
        unsigned long cp, low;
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p != '\\') { *out++ = *p++; continue; }
        p++;
        switch (*p++) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '/': *out++ = '/'; break;
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u':
            if (end - p < 4 || !read_hex4(p, &cp)) return NULL;
            p += 4;
            /* A high surrogate followed by \uDC00..\uDFFF is one code point beyond the BMP. */
            if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' && read_hex4(p + 2, &low) && low >= 0xdc00 && low < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                p += 6;
            }
            out = put_utf8(out, cp);
            break;
        default:
            return NULL;
        }
    }
    *out = '\0';
    return end + 1;
}

static const char *parse_value(const char *p, struct json *v, int depth);

/* Arrays and objects: items separated by commas up to `close`; objects read "key": before each item. */
static const char *parse_container(const char *p, struct json *v, char close, int depth) {
    size_t capacity = 0;
    p = skip_space(p);
    if (*p == close) return p + 1;
    for (;;) {
        char *key = NULL;
        if (v->count == capacity) {
            size_t grown = capacity == 0 ? 4 : capacity * 2;
            struct json *items = realloc(v->items, grown * sizeof *items);
            if (items == NULL) return NULL;
            v->items = items;
            if (v->type == JSON_OBJECT) {
                char **keys = realloc(v->keys, grown * sizeof *keys);
                if (keys == NULL) return NULL;
                v->keys = keys;
            }
            capacity = grown;
        }
        if (v->type == JSON_OBJECT) {
            p = skip_space(p);
            if (*p != '"' || (p = parse_string(p + 1, &key)) == NULL) { free(key); return NULL; }
            p = skip_space(p);
            if (*p++ != ':') { free(key); return NULL; }
            v->keys[v->count] = key;
        }
        memset(&v->items[v->count], 0, sizeof v->items[0]);
        v->count++;
        p = parse_value(p, &v->items[v->count - 1], depth + 1);
        if (p == NULL) return NULL;
        p = skip_space(p);
        if (*p == close) return p + 1;
        if (*p++ != ',') return NULL;
    }
}

static const char *parse_value(const char *p, struct json *v, int depth) {
    char *end;
    if (depth > 32) return NULL;
    p = skip_space(p);
    switch (*p) {
    case '{': v->type = JSON_OBJECT; return parse_container(p + 1, v, '}', depth);
    case '[': v->type = JSON_ARRAY; return parse_container(p + 1, v, ']', depth);
    case '"': v->type = JSON_STRING; return parse_string(p + 1, &v->string);
    case 't': v->type = JSON_BOOL; v->boolean = 1; return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f': v->type = JSON_BOOL; return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n': v->type = JSON_NULL; return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        v->type = JSON_NUMBER;
        v->number = strtod(p, &end);
        return end == p ? NULL : end;
    }
}

/* Parses a whole line; 0 when it is not one JSON value. */
static int json_parse(const char *text, struct json *v) {
    const char *end;
    memset(v, 0, sizeof *v);
    end = parse_value(text, v, 0);
    if (end == NULL || *skip_space(end) != '\0') {
        json_free(v);
        return 0;
    }
    return 1;
}

static const struct json *json_get(const struct json *object, const char *key, enum json_type type) {
    size_t i;
    if (object == NULL || object->type != JSON_OBJECT) return NULL;
    for (i = 0; i < object->count; i++)
        if (strcmp(object->keys[i], key) == 0) return object->items[i].type == type ? &object->items[i] : NULL;
    return NULL;
}

/* A JSON number that is a whole number in [min, max]. */
static int json_integer(const struct json *v, double min, double max, long *out) {
    if (v == NULL || v->type != JSON_NUMBER || v->number < min || v->number > max || v->number != (double)(long)v->number) return 0;
    *out = (long)v->number;
    return 1;
}

/* ---------------------------------------------------------------------------------------------------
 * Writing responses. */

static void write_string(const char *s) {
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void write_base64(const unsigned char *data, size_t size) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    putchar('"');
    for (i = 0; i + 2 < size; i += 3) {
        unsigned long n = (unsigned long)data[i] << 16 | (unsigned long)data[i + 1] << 8 | data[i + 2];
        putchar(alphabet[n >> 18 & 63]), putchar(alphabet[n >> 12 & 63]), putchar(alphabet[n >> 6 & 63]), putchar(alphabet[n & 63]);
    }
    if (size - i == 1) {
        unsigned long n = (unsigned long)data[i] << 16;
        putchar(alphabet[n >> 18 & 63]), putchar(alphabet[n >> 12 & 63]), fputs("==", stdout);
    } else if (size - i == 2) {
        unsigned long n = (unsigned long)data[i] << 16 | (unsigned long)data[i + 1] << 8;
        putchar(alphabet[n >> 18 & 63]), putchar(alphabet[n >> 12 & 63]), putchar(alphabet[n >> 6 & 63]), putchar('=');
    }
    putchar('"');
}

/* The response starts with this; `id` < 0 writes null (a line whose id could not be read). */
static void begin_response(long id) {
    if (id < 0) fputs("{\"id\":null,", stdout);
    else printf("{\"id\":%ld,", id);
}

static void end_response(void) {
    fputs("}\n", stdout);
    fflush(stdout); /* the host waits for this line: never leave it in a buffer */
}

static void answer_error(long id, const char *code, const char *message) {
    begin_response(id);
    fputs("\"ok\":false,\"error\":{\"code\":", stdout);
    write_string(code);
    fputs(",\"message\":", stdout);
    write_string(message);
    putchar('}');
    end_response();
}

/* ---------------------------------------------------------------------------------------------------
 * The runner's state and the protocol's operations. */

static struct fake_model model;
static int loaded = 0;
static int spoke_hello = 0;
static float *library = NULL; /* sample_count x model.inputs floats */
static size_t sample_count = 0;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void op_hello(long id, const struct json *request) {
    const struct json *offered = json_get(request, "protocolVersions", JSON_ARRAY);
    size_t i;
    int speaks_v2 = 0;
    if (offered == NULL) { answer_error(id, "bad_request", "hello needs protocolVersions"); return; }
    for (i = 0; i < offered->count; i++)
        if (offered->items[i].type == JSON_NUMBER && offered->items[i].number == 2) speaks_v2 = 1;
    if (!speaks_v2) { answer_error(id, "unsupported_protocol", "this runner speaks protocol 2 only"); return; }
    spoke_hello = 1;
    begin_response(id);
    /* VENDOR SDK: query the device, driver and firmware versions here. */
    fputs("\"ok\":true,\"result\":{\"protocolVersion\":2,\"maxInFlight\":1,\"deterministicOutputs\":true,"
          "\"runner\":{\"name\":\"c-example-runner\",\"version\":\"0.1.0\"},"
          "\"device\":{\"name\":\"Fake NPU\",\"vendor\":\"Example Corp\",\"npu\":\"fake-npu-v1\",\"driverVersion\":\"0.0.0\",\"firmwareVersion\":\"0.0.0\"},"
          /* Times come from a clock in this process around the device call; a runner that reads the
           * NPU's own counters says "device". */
          "\"deviceTiming\":\"runner\"}",
          stdout);
    end_response();
}

static void write_signature(const char *name, size_t elements) {
    fputs("[{\"name\":", stdout);
    write_string(name);
    printf(",\"elementType\":\"float32\",\"shape\":[1,%lu]}]", (unsigned long)elements);
}

static void op_load(long id, const struct json *request) {
    const struct json *path = json_get(request, "modelPath", JSON_STRING);
    char error[256];
    uint64_t started = now_ns();
    if (!spoke_hello) { answer_error(id, "bad_request", "load before hello"); return; }
    if (path == NULL || json_get(request, "options", JSON_OBJECT) == NULL) { answer_error(id, "bad_request", "load needs modelPath and options"); return; }
    if (loaded) fake_device_release(&model), loaded = 0;
    free(library), library = NULL, sample_count = 0;
    /* VENDOR SDK: compile or load the model for the NPU here, applying request "options". */
    if (!fake_device_load(path->string, &model, error, sizeof error)) { answer_error(id, "load_failed", error); return; }
    loaded = 1;
    begin_response(id);
    fputs("\"ok\":true,\"result\":{\"inputs\":", stdout);
    write_signature(model.input_name, model.inputs);
    fputs(",\"outputs\":", stdout);
    write_signature(model.output_name, model.outputs);
    printf(",\"loadTimeMs\":%.3f}", (double)(now_ns() - started) / 1e6);
    end_response();
}

/* One library tensor: float32, model.inputs elements, its raw little-endian bytes in a file. */
static const char *read_sample(const struct json *sample, float *into) {
    const struct json *inputs = json_get(sample, "inputs", JSON_ARRAY), *tensor, *name, *dtype, *shape, *path;
    unsigned char bytes[4];
    size_t i, elements = 1;
    FILE *file;
    long dim;
    if (inputs == NULL || inputs->count != 1) return "each sample must hold exactly one input tensor";
    tensor = &inputs->items[0];
    name = json_get(tensor, "name", JSON_STRING);
    dtype = json_get(tensor, "dtype", JSON_STRING);
    shape = json_get(tensor, "shape", JSON_ARRAY);
    path = json_get(tensor, "path", JSON_STRING);
    if (name == NULL || strcmp(name->string, model.input_name) != 0) return "a sample tensor does not name the model's input";
    if (dtype == NULL || strcmp(dtype->string, "float32") != 0) return "the model's input is float32";
    if (shape == NULL) return "a sample tensor has no shape";
    for (i = 0; i < shape->count; i++) {
        if (!json_integer(&shape->items[i], 0, 1e9, &dim)) return "a sample tensor's shape is not a list of sizes";
        elements *= (size_t)dim;
    }
    if (elements != model.inputs) return "a sample tensor does not hold the model's input size";
    if (path == NULL) return "this runner reads library tensors by file (path)";
    if ((file = fopen(path->string, "rb")) == NULL) return "cannot open a sample file";
    for (i = 0; i < elements; i++) {
        uint32_t bits;
        if (fread(bytes, 1, 4, file) != 4) break;
        bits = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
        memcpy(&into[i], &bits, sizeof bits);
    }
    /* Exactly dtype x shape bytes: no fewer, and nothing after them. */
    if (i != elements || fgetc(file) != EOF) return fclose(file), "a sample file does not hold exactly dtype x shape bytes";
    fclose(file);
    return NULL;
}

static void op_load_samples(long id, const struct json *request) {
    const struct json *samples = json_get(request, "samples", JSON_ARRAY);
    const char *problem;
    float *loaded_samples;
    size_t i;
    if (!loaded) { answer_error(id, "not_loaded", "load_samples before load"); return; }
    if (samples == NULL || samples->count == 0 || samples->count > MAX_LIBRARY_SAMPLES) { answer_error(id, "bad_request", "load_samples needs 1 to 65536 samples"); return; }
    loaded_samples = malloc(samples->count * model.inputs * sizeof *loaded_samples);
    if (loaded_samples == NULL) { answer_error(id, "internal", "out of memory for the sample library"); return; }
    for (i = 0; i < samples->count; i++) {
        /* VENDOR SDK: copy each sample into device memory here, once; timed runs name them by index. */
        if ((problem = read_sample(&samples->items[i], loaded_samples + i * model.inputs)) != NULL) {
            free(loaded_samples);
            answer_error(id, "bad_request", problem);
            return;
        }
    }
    free(library);
    library = loaded_samples;
    sample_count = samples->count;
    begin_response(id);
    printf("\"ok\":true,\"result\":{\"sampleCount\":%lu}", (unsigned long)sample_count);
    end_response();
}

/* The output's bytes as the wire carries them: float32, little-endian, whatever this machine is. */
static void output_bytes(const float *output, size_t count, unsigned char *bytes) {
    size_t i;
    for (i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &output[i], sizeof bits);
        bytes[4 * i] = (unsigned char)bits, bytes[4 * i + 1] = (unsigned char)(bits >> 8);
        bytes[4 * i + 2] = (unsigned char)(bits >> 16), bytes[4 * i + 3] = (unsigned char)(bits >> 24);
    }
}

static void op_run(long id, const struct json *request) {
    const struct json *samples = json_get(request, "samples", JSON_ARRAY);
    const struct json *return_outputs = json_get(request, "returnOutputs", JSON_BOOL);
    float *output;
    unsigned char *bytes;
    uint64_t *times;
    size_t i;
    long index;
    if (!loaded) { answer_error(id, "not_loaded", "run before load"); return; }
    if (samples == NULL) { answer_error(id, "bad_request", "this runner speaks protocol v2 only: run names samples"); return; }
    if (return_outputs == NULL || samples->count == 0) { answer_error(id, "bad_request", "run needs samples and returnOutputs"); return; }
    for (i = 0; i < samples->count; i++)
        if (!json_integer(&samples->items[i], 0, (double)sample_count - 1, &index)) { answer_error(id, "bad_request", "a run names a sample outside the library"); return; }
    output = malloc(model.outputs * sizeof *output);
    bytes = malloc(model.outputs * 4);
    times = malloc(samples->count * sizeof *times);
    if (output == NULL || bytes == NULL || times == NULL) {
        free(output), free(bytes), free(times);
        answer_error(id, "internal", "out of memory");
        return;
    }
    begin_response(id);
    fputs("\"ok\":true,\"result\":{\"results\":[", stdout);
    for (i = 0; i < samples->count; i++) {
        struct sha256 hash;
        char digest[65];
        uint64_t started;
        json_integer(&samples->items[i], 0, (double)sample_count - 1, &index);
        started = now_ns();
        /* VENDOR SDK: execute on the sample already in device memory, wait for completion, read back. */
        fake_device_run(&model, library + (size_t)index * model.inputs, output);
        times[i] = now_ns() - started;
        output_bytes(output, model.outputs, bytes);
        /* The digest covers what the device really returned, on every query, timed or not. */
        sha256_init(&hash);
        sha256_update(&hash, bytes, model.outputs * 4);
        sha256_hex(&hash, digest);
        printf("%s{\"digests\":[\"%s\"]", i == 0 ? "" : ",", digest);
        if (return_outputs->boolean) {
            fputs(",\"outputs\":[{\"name\":", stdout);
            write_string(model.output_name);
            printf(",\"dtype\":\"float32\",\"shape\":[1,%lu],\"data\":", (unsigned long)model.outputs);
            write_base64(bytes, model.outputs * 4);
            fputs("}]", stdout);
        }
        putchar('}');
    }
    fputs("],\"deviceTimesNs\":[", stdout);
    for (i = 0; i < samples->count; i++) printf("%s%lu", i == 0 ? "" : ",", (unsigned long)times[i]);
    fputs("]}", stdout);
    end_response();
    free(output), free(bytes), free(times);
}

static void op_close(long id) {
    /* VENDOR SDK: release the model and the device here. */
    if (loaded) fake_device_release(&model), loaded = 0;
    free(library), library = NULL, sample_count = 0;
    begin_response(id);
    fputs("\"ok\":true,\"result\":{}", stdout);
    end_response();
}

/* Reads one line (without its newline) into a growing buffer; returns -1 at end of input, 1 when the
 * line was longer than the protocol allows (the rest of it is skipped), 0 otherwise. */
static int read_line(char **buffer, size_t *capacity) {
    size_t length = 0;
    int c, too_long = 0;
    while ((c = getchar()) != EOF && c != '\n') {
        if (too_long) continue;
        if (length + 2 > MAX_LINE_BYTES) { too_long = 1; continue; }
        if (length + 2 > *capacity) {
            size_t grown = *capacity == 0 ? 4096 : *capacity * 2;
            char *bigger = realloc(*buffer, grown);
            if (bigger == NULL) { too_long = 1; continue; }
            *buffer = bigger, *capacity = grown;
        }
        (*buffer)[length++] = (char)c;
    }
    if (c == EOF && length == 0 && !too_long) return -1;
    if (*buffer != NULL) (*buffer)[length] = '\0';
    return too_long;
}

int main(void) {
    char *line = NULL;
    size_t capacity = 0;
    int status;
    while ((status = read_line(&line, &capacity)) >= 0) {
        struct json request;
        const struct json *op;
        long id;
        if (status == 1) { answer_error(-1, "line_too_long", "the request line is longer than 16 MiB"); continue; }
        if (line == NULL || *skip_space(line) == '\0') continue; /* blank lines are ignored */
        if (!json_parse(line, &request)) { answer_error(-1, "bad_request", "the line is not JSON"); continue; }
        op = json_get(&request, "op", JSON_STRING);
        if (!json_integer(json_get(&request, "id", JSON_NUMBER), 1, 9007199254740991.0, &id)) answer_error(-1, "bad_request", "the request has no id");
        else if (op == NULL) answer_error(id, "bad_request", "the request has no op");
        else if (strcmp(op->string, "hello") == 0) op_hello(id, &request);
        else if (strcmp(op->string, "load") == 0) op_load(id, &request);
        else if (strcmp(op->string, "load_samples") == 0) op_load_samples(id, &request);
        else if (strcmp(op->string, "run") == 0) op_run(id, &request);
        else if (strcmp(op->string, "close") == 0) {
            op_close(id);
            json_free(&request);
            break;
        } else answer_error(id, "bad_request", "unknown op");
        json_free(&request);
    }
    free(line);
    return 0; /* the host closed stdin, or sent close */
}
