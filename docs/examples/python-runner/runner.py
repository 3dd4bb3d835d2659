#!/usr/bin/env python3
"""Example npubench runner (runner protocol v2, and v1 for older hosts; docs/runner-protocol.md) for a toy "device".

Standard library only. The toy device "runs" a model described by a small JSON file (see toy-model.json)
and returns zero-filled outputs of the declared shapes. Every place a real runner calls its vendor SDK
is marked VENDOR SDK. Protocol lines go to stdout; anything else (logs) must go to stderr.
"""
import base64
import hashlib
import json
import sys
import time

PROTOCOL_VERSIONS = (2, 1)  # newest first: the runner answers with the newest the host offers
MAX_LINE_BYTES = 16 * 1024 * 1024
ELEMENT_BYTES = {
    "float32": 4, "float16": 2, "double": 8, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
    "int32": 4, "uint32": 4, "int64": 8, "uint64": 8, "bool": 1,
}


class RequestFailure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()  # the host waits for this line; never leave it in a buffer


def element_count(shape):
    count = 1
    for dim in shape:
        count *= dim
    return count


def tensor_bytes(tensor):
    """Raw little-endian bytes of a request tensor, checked against dtype x shape."""
    dtype = tensor.get("dtype")
    if dtype not in ELEMENT_BYTES:
        raise RequestFailure("bad_request", f"tensor {tensor.get('name')!r}: unsupported dtype {dtype!r}")
    if "data" in tensor:
        data = base64.b64decode(tensor["data"], validate=True)
    else:
        with open(tensor["path"], "rb") as file:  # large tensors arrive as files
            data = file.read()
    expected = element_count(tensor["shape"]) * ELEMENT_BYTES[dtype]
    if len(data) != expected:
        raise RequestFailure("bad_request", f"tensor {tensor['name']!r} has {len(data)} bytes, expected {expected}")
    return data


# Optional v2 ops (causal LMs: lm_forward, lm_release); a runner that serves them lists them in hello's "ops".
OPTIONAL_OPS = ("lm_forward", "lm_release")


class ToyRunner:
    def __init__(self):
        self.model = None
        self.version = None
        self.samples = []  # v2 sample library: per sample, the input bytes by name

    def hello(self, request):
        offered = [v for v in PROTOCOL_VERSIONS if v in request["protocolVersions"]]
        if not offered:
            raise RequestFailure("unsupported_protocol", f"this runner speaks protocol {PROTOCOL_VERSIONS}")
        self.version = offered[0]
        v2 = {"maxInFlight": 1, "deterministicOutputs": True} if self.version == 2 else {}
        return {
            "protocolVersion": self.version,
            **v2,
            "runner": {"name": "python-toy-runner", "version": "0.1.0"},
            # VENDOR SDK: query the device, driver and firmware versions here.
            "device": {
                "name": "Toy NPU",
                "vendor": "Example Corp",
                "soc": "toy-soc",
                "npu": "toy-npu-v1",
                "driverVersion": "0.0.0",
                "firmwareVersion": "0.0.0",
                "properties": {"powerMode": "default"},
            },
            # Times below come from perf_counter_ns around the device call in this process.
            # A runner that reads the NPU's own cycle counters says "device" instead.
            "deviceTiming": "runner",
        }

    def load(self, request):
        started = time.perf_counter_ns()
        # VENDOR SDK: compile or load the model for the NPU here, applying request["options"].
        # The toy "model" is a JSON file listing its inputs and outputs.
        try:
            with open(request["modelPath"]) as file:
                self.model = json.load(file)
        except (OSError, ValueError) as err:
            raise RequestFailure("load_failed", str(err))
        return {
            "inputs": self.model["inputs"],
            "outputs": self.model["outputs"],
            "loadTimeMs": (time.perf_counter_ns() - started) / 1e6,
        }

    def load_samples(self, request):
        if self.version != 2:
            raise RequestFailure("bad_request", "load_samples is protocol v2")
        if self.model is None:
            raise RequestFailure("not_loaded", "load_samples before load")
        # VENDOR SDK: copy every sample to device memory here, once; timed runs name them by index.
        self.samples = [{t["name"]: tensor_bytes(t) for t in sample["inputs"]} for sample in request["samples"]]
        return {"sampleCount": len(self.samples)}

    def zero_outputs(self):
        """VENDOR SDK: read the outputs back. The toy device answers zeros of the declared shapes."""
        return [
            (output, bytes(element_count(output["shape"]) * ELEMENT_BYTES[output["elementType"]]))
            for output in self.model["outputs"]
        ]

    def run(self, request):
        if self.model is None:
            raise RequestFailure("not_loaded", "run before load")
        if "samples" in request:
            return self.run_samples(request)
        inputs = {tensor["name"]: tensor_bytes(tensor) for tensor in request["inputs"]}
        times = []
        for _ in range(request["iterations"]):
            started = time.perf_counter_ns()
            # VENDOR SDK: copy `inputs` to the device, execute, wait for completion.
            times.append(time.perf_counter_ns() - started)
        result = {"deviceTimesNs": times}
        if request["returnOutputs"]:
            # VENDOR SDK: read the outputs back. The toy device answers zeros of the declared shapes.
            result["outputs"] = [
                {
                    "name": output["name"],
                    "dtype": output["elementType"],
                    "shape": output["shape"],
                    "data": base64.b64encode(bytes(element_count(output["shape"]) * ELEMENT_BYTES[output["elementType"]])).decode("ascii"),
                }
                for output in self.model["outputs"]
            ]
        return result

    def run_samples(self, request):
        """v2: one inference per named sample, each answered with the sha256 of every output's bytes."""
        results, times = [], []
        for index in request["samples"]:
            if not 0 <= index < len(self.samples):
                raise RequestFailure("bad_request", f"sample {index} is not in the library of {len(self.samples)}")
            started = time.perf_counter_ns()
            # VENDOR SDK: execute on the device input already there (self.samples[index]), wait for completion.
            times.append(time.perf_counter_ns() - started)
            outputs = self.zero_outputs()
            # The digest covers what the device really returned, on every query, timed or not.
            result = {"digests": [hashlib.sha256(data).hexdigest() for _, data in outputs]}
            if request["returnOutputs"]:
                result["outputs"] = [
                    {"name": o["name"], "dtype": o["elementType"], "shape": o["shape"], "data": base64.b64encode(data).decode("ascii")}
                    for o, data in outputs
                ]
            results.append(result)
        return {"results": results, "deviceTimesNs": times}

    def close(self, _request):
        # VENDOR SDK: release the model and the device here.
        self.model = None
        return {}


def main():
    runner = ToyRunner()
    handlers = {"hello": runner.hello, "load": runner.load, "load_samples": runner.load_samples, "run": runner.run, "close": runner.close}
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline(MAX_LINE_BYTES + 1)
        if not line:
            return  # the host closed stdin: exit, whatever state we are in
        if len(line) > MAX_LINE_BYTES:
            while line and not line.endswith(b"\n"):  # drop the rest of the oversized line
                line = stdin.readline(MAX_LINE_BYTES)
            send({"id": None, "ok": False, "error": {"code": "line_too_long", "message": "request line too long"}})
            continue
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError:
            send({"id": None, "ok": False, "error": {"code": "bad_request", "message": "the line is not JSON"}})
            continue
        request_id = request.get("id")
        handler = handlers.get(request.get("op"))
        try:
            if request.get("op") in OPTIONAL_OPS:
                # hello declares no "ops", so a host never sends these; answer cleanly if one does.
                raise RequestFailure("unsupported_op", f"this runner does not implement {request.get('op')!r}")
            if handler is None:
                raise RequestFailure("bad_request", f"unknown op {request.get('op')!r}")
            send({"id": request_id, "ok": True, "result": handler(request)})
        except RequestFailure as failure:
            send({"id": request_id, "ok": False, "error": {"code": failure.code, "message": str(failure)}})
        except Exception as err:  # a bug in the runner must still answer, so the host is not left waiting
            print(f"internal error: {err!r}", file=sys.stderr)
            send({"id": request_id, "ok": False, "error": {"code": "internal", "message": str(err)}})
        if request.get("op") == "close":
            return


if __name__ == "__main__":
    main()
