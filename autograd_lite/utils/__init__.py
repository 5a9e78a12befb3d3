"""``ag.utils``: PyTorch's ``torch.utils`` names (``ag.utils.data``)."""
from autograd_lite.utils import data

__all__ = ["data"]
