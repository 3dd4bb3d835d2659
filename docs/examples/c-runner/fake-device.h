/* A fake NPU for the C runner example: it "compiles" one kind of graph, output = input x weight + bias
 * (test/fixtures/models/tiny-linear.onnx), by reading the two initializers out of the ONNX file, and
 * computes it on the CPU. A real runner replaces every function here with its vendor SDK's calls. */
#ifndef FAKE_DEVICE_H
#define FAKE_DEVICE_H

#include <stddef.h>

#define FAKE_DEVICE_NAME_MAX 128

struct fake_model {
    char input_name[FAKE_DEVICE_NAME_MAX];
    char output_name[FAKE_DEVICE_NAME_MAX];
    size_t inputs;   /* K: the input is float32 [1, K] */
    size_t outputs;  /* N: the output is float32 [1, N] */
    float *weight;   /* K x N, row-major */
    float *bias;     /* N */
};

/* Loads the model at `path`; on failure returns 0 and writes why into `error`. */
int fake_device_load(const char *path, struct fake_model *model, char *error, size_t error_size);

/* One inference: `input` holds model->inputs floats, `output` receives model->outputs floats. */
void fake_device_run(const struct fake_model *model, const float *input, float *output);

void fake_device_release(struct fake_model *model);

#endif
