"""A service for the V2 (Open Inference Protocol) tests: a plain numpy Runnable, no framework."""

import numpy as np

import tiffin
from tiffin.io import JSON, NumpyNdarray, PandasDataFrame, Text


class Scale(tiffin.Runnable):
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x):
        return x * 2


runner = tiffin.Runner(Scale, name="scale", max_batch_size=16, max_latency_ms=5)
svc = tiffin.Service("v2demo", runners=[runner])


@svc.api(
    input=NumpyNdarray(dtype="float32", shape=(-1, 4), enforce_shape=True),
    output=NumpyNdarray(dtype="float32"),
)
async def double(x):
    return await runner.predict.async_run(x)


@svc.api(input=NumpyNdarray(dtype="float32", enforce_dtype=True), output=NumpyNdarray())
def strict(x):
    return x


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def identity(x):
    return x


@svc.api(input=PandasDataFrame(columns=["a", "b"]), output=PandasDataFrame())
def frame(df):
    return df.assign(total=df["a"] + df["b"])


@svc.api(input=Text(), output=Text())
def shout(text):
    return text.upper()


@svc.api(input=JSON(), output=JSON())
def echo(x):
    return x


@svc.api(input=NumpyNdarray(), output=NumpyNdarray(), route="v2/models/my_model/versions/v0/infer")
def user_route(x):
    return np.asarray(x) + 1


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def boom(x):
    raise RuntimeError("kaboom")
