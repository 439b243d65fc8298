"""tiffin-torch: the PyTorch framework adapter. Importing this does not import torch.

Registers the adapter behind ``tiffin.torch`` and a data container for ``torch.Tensor`` (how
runners batch, split and ship tensors). Both import torch only when first used.
"""

from __future__ import annotations

import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_torch._adapter import TorchAdapter

    register(TorchAdapter())


@tiffin.hookimpl
def register_data_containers(register):
    from tiffin_torch._container import TensorContainer

    register(TensorContainer())
