"""A service with one API per built-in IO descriptor (served by the tests, not collected)."""

import numpy as np
import pandas as pd
import pydantic
from PIL import Image as PILImage

import tiffin
from tiffin.io import JSON, File, Image, Multipart, NumpyNdarray, PandasDataFrame, Text

svc = tiffin.Service("all_io")


class Order(pydantic.BaseModel):
    item: str
    quantity: int


@svc.api(
    input=NumpyNdarray.from_sample(np.array([[1.0, 2.0]], dtype=np.float32)), output=NumpyNdarray()
)
def double(arr: np.ndarray) -> np.ndarray:
    return np.atleast_1d(arr) * 2  # a bare number arrives as a 0-d array


@svc.api(
    input=NumpyNdarray(dtype=np.float32, shape=(-1, 2), enforce_shape=True), output=NumpyNdarray()
)
async def pairs(arr: np.ndarray) -> np.ndarray:
    return arr.sum(axis=1)


@svc.api(input=PandasDataFrame(), output=PandasDataFrame())
def totals(df: pd.DataFrame) -> pd.DataFrame:
    numeric = df.apply(pd.to_numeric, errors="coerce").fillna(0)  # any JSON may arrive
    return pd.DataFrame({"total": numeric.sum(axis=1).astype(float)})


@svc.api(input=JSON(pydantic_model=Order), output=JSON())
def order(o: Order) -> dict:
    return {"item": o.item, "quantity": o.quantity, "price": o.quantity * 2.5}


@svc.api(input=JSON(), output=JSON())
async def keys(data: object) -> list:
    return sorted(data) if isinstance(data, dict) else []


@svc.api(input=Text(), output=Text())
def shout(text: str) -> str:
    return text.upper()


@svc.api(input=File(), output=File())
def reverse(f) -> bytes:
    return f.read()[::-1]


@svc.api(input=Image(), output=Image(mime_type="image/png", pil_mode=None))
def gray(img: PILImage.Image) -> PILImage.Image:
    return img.convert("L")


@svc.api(input=Multipart(name=Text(), arr=NumpyNdarray()), output=JSON())
def parts(name: str, arr: np.ndarray) -> dict:
    return {"name": name, "sum": float(arr.sum())}


@svc.api(input=Image(pilmode="L"), output=JSON())
def image_mode(img: PILImage.Image) -> dict:
    return {"mode": img.mode, "size": list(img.size)}
