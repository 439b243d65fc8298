import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_lightgbm._adapter import LightGBMAdapter  # does not import lightgbm

    register(LightGBMAdapter())
