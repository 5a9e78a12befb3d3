"""Forward mode for every catalog row (issue 16): ``gradcheck(..., check_forward_ad=True)``
compares each JVP with finite differences and with reverse mode (v^T (J u) = (v^T J) u), with
the rules on ndarrays and on recorded Tensors with a batch of two tangents. A row whose op has
no JVP rule yet is SKIPPED with the reason ``no JVP: <Op>`` (``pytest -rs`` lists the gap; see
/tmp/jvp_mechanism.md or docs/forward_mode.md for how to add one)."""
import numpy as np
import pytest

from autograd_lite.testing import gradcheck
from tests.ops.op_catalog import all_cases, case_ids, tensors

FIRST = all_cases(grad=1)


@pytest.mark.parametrize("row,i", FIRST, ids=case_ids(FIRST))
def test_forward_ad(row, i):
    shapes, kw = row.cases[i]
    ts = tuple(tensors(row.inputs(np.random.default_rng(i), shapes)))
    try:
        assert gradcheck(lambda *xs: row.fn(*xs, **kw), ts, check_forward_ad=True)
    except NotImplementedError as e:
        if "no forward-mode AD rule" not in str(e):
            raise
        pytest.skip(f"no JVP: {str(e).split(':')[0]}")
