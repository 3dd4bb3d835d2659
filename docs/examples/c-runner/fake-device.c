/* The fake NPU (see fake-device.h). Reading the weights out of the ONNX file needs just enough protobuf:
 * ModelProto.graph (field 7) -> GraphProto.initializer (5), .input (11), .output (12); a TensorProto's
 * dims (1), data_type (2), name (8) and raw_data (9); a ValueInfoProto's name (1). */
#include "fake-device.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };
enum { ONNX_FLOAT = 1 };

struct span {
    const unsigned char *at;
    const unsigned char *end;
};

static int read_varint(struct span *s, uint64_t *value) {
    uint64_t result = 0;
    int shift = 0;
    while (s->at < s->end && shift < 64) {
        unsigned char byte = *s->at++;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = result;
            return 1;
        }
        shift += 7;
    }
    return 0;
}

/* Next field of a message: its number, wire type and, for length-delimited fields, its bytes. */
static int next_field(struct span *s, uint32_t *field, int *wire, struct span *bytes, uint64_t *number) {
    uint64_t key, length;
    if (s->at >= s->end || !read_varint(s, &key)) return 0;
    *field = (uint32_t)(key >> 3);
    *wire = (int)(key & 7);
    switch (*wire) {
    case WIRE_VARINT:
        return read_varint(s, number);
    case WIRE_I64:
    case WIRE_I32: {
        size_t size = *wire == WIRE_I64 ? 8 : 4;
        if ((size_t)(s->end - s->at) < size) return 0;
        s->at += size;
        return 1;
    }
    case WIRE_LEN:
        if (!read_varint(s, &length) || length > (uint64_t)(s->end - s->at)) return 0;
        bytes->at = s->at;
        bytes->end = s->at + length;
        s->at += length;
        return 1;
    default:
        return 0;
    }
}

static void copy_name(struct span bytes, char *out) {
    size_t n = (size_t)(bytes.end - bytes.at);
    if (n >= FAKE_DEVICE_NAME_MAX) n = FAKE_DEVICE_NAME_MAX - 1;
    memcpy(out, bytes.at, n);
    out[n] = '\0';
}

struct initializer {
    char name[FAKE_DEVICE_NAME_MAX];
    int64_t dims[4];
    int rank;
    uint64_t data_type;
    struct span raw;
};

static int parse_initializer(struct span message, struct initializer *t) {
    uint32_t field;
    int wire;
    struct span bytes = {0, 0};
    uint64_t number = 0;
    memset(t, 0, sizeof *t);
    while (message.at < message.end) {
        if (!next_field(&message, &field, &wire, &bytes, &number)) return 0;
        if (field == 1 && wire == WIRE_VARINT && t->rank < 4) t->dims[t->rank++] = (int64_t)number;
        else if (field == 1 && wire == WIRE_LEN) { /* packed dims */
            while (bytes.at < bytes.end && t->rank < 4) {
                if (!read_varint(&bytes, &number)) return 0;
                t->dims[t->rank++] = (int64_t)number;
            }
        } else if (field == 2 && wire == WIRE_VARINT) t->data_type = number;
        else if (field == 8 && wire == WIRE_LEN) copy_name(bytes, t->name);
        else if (field == 9 && wire == WIRE_LEN) t->raw = bytes;
    }
    return 1;
}

/* raw_data is little-endian whatever the host is. */
static float *floats_of(struct span raw, size_t count) {
    float *out = malloc(count * sizeof *out);
    size_t i;
    if (out == NULL) return NULL;
    for (i = 0; i < count; i++) {
        const unsigned char *b = raw.at + 4 * i;
        uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &bits, sizeof bits);
    }
    return out;
}

/* The first field-1 string of a message: a ValueInfoProto's name. */
static void value_info_name(struct span message, char *out) {
    uint32_t field;
    int wire;
    struct span bytes = {0, 0};
    uint64_t number;
    while (message.at < message.end && next_field(&message, &field, &wire, &bytes, &number)) {
        if (field == 1 && wire == WIRE_LEN) {
            copy_name(bytes, out);
            return;
        }
    }
}

static int fail(char *error, size_t error_size, const char *message) {
    snprintf(error, error_size, "%s", message);
    return 0;
}

static unsigned char *read_whole_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    unsigned char *data = NULL;
    long length;
    if (file == NULL) return NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (length = ftell(file)) > 0 && fseek(file, 0, SEEK_SET) == 0) {
        data = malloc((size_t)length);
        if (data != NULL && fread(data, 1, (size_t)length, file) != (size_t)length) {
            free(data);
            data = NULL;
        }
        *size = (size_t)length;
    }
    fclose(file);
    return data;
}

int fake_device_load(const char *path, struct fake_model *model, char *error, size_t error_size) {
    size_t size = 0;
    unsigned char *data = read_whole_file(path, &size);
    struct span message, graph = {0, 0}, bytes = {0, 0};
    struct initializer weight = {0}, bias = {0}, t;
    int have_weight = 0, have_bias = 0;
    uint32_t field;
    int wire;
    uint64_t number;
    const char *problem = NULL;

    memset(model, 0, sizeof *model);
    if (data == NULL) return fail(error, error_size, "cannot read the model file");
    message.at = data;
    message.end = data + size;
    while (message.at < message.end && next_field(&message, &field, &wire, &bytes, &number)) {
        if (field == 7 && wire == WIRE_LEN) graph = bytes;
    }
    while (graph.at < graph.end) {
        if (!next_field(&graph, &field, &wire, &bytes, &number)) { problem = "malformed ONNX graph"; break; }
        if (wire != WIRE_LEN) continue;
        if (field == 5) {
            if (!parse_initializer(bytes, &t)) { problem = "malformed ONNX initializer"; break; }
            if (strcmp(t.name, "weight") == 0) { weight = t; have_weight = 1; }
            if (strcmp(t.name, "bias") == 0) { bias = t; have_bias = 1; }
        } else if (field == 11 && model->input_name[0] == '\0') {
            value_info_name(bytes, model->input_name);
        } else if (field == 12 && model->output_name[0] == '\0') {
            value_info_name(bytes, model->output_name);
        }
    }
    if (problem == NULL && (!have_weight || !have_bias || model->input_name[0] == '\0' || model->output_name[0] == '\0'))
        problem = "this fake device runs only input x weight + bias graphs (initializers 'weight' [K, N] and 'bias' [N])";
    if (problem == NULL && (weight.rank != 2 || bias.rank != 1 || weight.dims[0] < 1 || weight.dims[1] < 1 || bias.dims[0] != weight.dims[1] ||
                            weight.data_type != ONNX_FLOAT || bias.data_type != ONNX_FLOAT))
        problem = "'weight' must be float32 [K, N] and 'bias' float32 [N]";
    if (problem == NULL && ((size_t)(weight.raw.end - weight.raw.at) != 4 * (size_t)(weight.dims[0] * weight.dims[1]) ||
                            (size_t)(bias.raw.end - bias.raw.at) != 4 * (size_t)bias.dims[0]))
        problem = "the initializers must hold their values in raw_data";
    if (problem == NULL) {
        model->inputs = (size_t)weight.dims[0];
        model->outputs = (size_t)weight.dims[1];
        /* VENDOR SDK: a real device would copy the compiled weights into its own memory here. */
        model->weight = floats_of(weight.raw, model->inputs * model->outputs);
        model->bias = floats_of(bias.raw, model->outputs);
        if (model->weight == NULL || model->bias == NULL) problem = "out of memory";
    }
    free(data);
    if (problem != NULL) {
        fake_device_release(model);
        return fail(error, error_size, problem);
    }
    return 1;
}

void fake_device_run(const struct fake_model *model, const float *input, float *output) {
    size_t i, j;
    for (j = 0; j < model->outputs; j++) {
        float sum = 0.0f;
        for (i = 0; i < model->inputs; i++) sum += input[i] * model->weight[i * model->outputs + j];
        output[j] = sum + model->bias[j];
    }
}

void fake_device_release(struct fake_model *model) {
    free(model->weight);
    free(model->bias);
    model->weight = NULL;
    model->bias = NULL;
}
