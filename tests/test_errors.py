"""Invalid input: every case raises a SymcostError subclass whose message names the layer,
the field and the value, and nothing is executed."""

import os

import pytest

import symcost as sc

H, W = sc.dims("H W")
MAP = sc.Shape(C=64, H=32, W=32)


def conv(**kw):
    base = {"in_channels": 64, "out_channels": 128, "kernel_size": 3}
    return sc.Conv2d(**{**base, **kw})


def run(net, shape=MAP):
    return net.cost(shape)


# (description, callable, expected exception, words the message must contain)
CASES = [
    ("zero size", lambda: conv(kernel_size=0), sc.SpecError, ["conv2d", "kernel_size", "0"]),
    ("negative size", lambda: conv(out_channels=-3), sc.SpecError,
     ["conv2d", "out_channels", "-3"]),
    ("bool size", lambda: conv(in_channels=True), sc.SpecError,
     ["conv2d", "in_channels", "True"]),
    ("float size", lambda: conv(kernel_size=2.5), sc.SpecError,
     ["conv2d", "kernel_size", "2.5"]),
    ("fractional expression", lambda: conv(kernel_size="3/2"), sc.SpecError,
     ["conv2d", "kernel_size", "3/2"]),
    ("negative padding", lambda: conv(padding=-1), sc.SpecError,
     ["conv2d", "padding", "-1"]),
    ("groups not dividing channels", lambda: conv(groups=3), sc.SpecError,
     ["conv2d", "groups", "groups=3", "in_channels=64"]),
    ("groups not dividing out channels", lambda: conv(in_channels=96, groups=3,
                                                      out_channels=64),
     sc.SpecError, ["conv2d", "groups", "out_channels=64"]),
    ("unknown field", lambda: sc.Conv2d(in_channels=3, out_channels=8, kernal_size=3),
     sc.SpecError, ["conv2d", "kernal_size", "kernel_size"]),
    ("missing field", lambda: sc.Conv2d(in_channels=3, out_channels=8), sc.SpecError,
     ["conv2d", "kernel_size", "required"]),
    ("kernel larger than padded input", lambda: run(conv(kernel_size=5),
                                                    sc.Shape(C=64, H=3, W=3)),
     sc.SpecError, ["conv2d", "kernel_size", "H=3"]),
    ("pool window larger than input", lambda: run(sc.MaxPool2d(kernel_size=4),
                                                  sc.Shape(C=1, H=2, W=9)),
     sc.SpecError, ["max_pool2d", "kernel_size", "H=2"]),
    ("channel mismatch in a Sequential", lambda: run(sc.Sequential([
        conv(name="a"), sc.ReLU(), conv(name="c")])), sc.ShapeMismatchError,
     ["c (conv2d)", "in_channels", "128", "1 (relu)"]),
    ("channel mismatch on the input", lambda: run(conv(), sc.Shape(C=3, H=8, W=8)),
     sc.ShapeMismatchError, ["conv2d", "in_channels", "C=3"]),
    ("vector into a conv", lambda: run(conv(), sc.Shape(C=64)), sc.ShapeMismatchError,
     ["conv2d", "feature map"]),
    ("linear features mismatch", lambda: run(sc.Linear(in_features=10, out_features=2),
                                             sc.Shape(C=12)),
     sc.ShapeMismatchError, ["linear", "in_features", "C=12"]),
    ("unbound symbol at evaluate", lambda: conv().cost(sc.Shape(C=64, H=H, W=W)).evaluate(
        H=8), sc.UnboundDimensionError, ["W"]),
    ("non-int value at evaluate", lambda: conv().cost(sc.Shape(C=64, H=H, W=8)).evaluate(
        H=8.0), sc.ConstraintError, ["H", "8.0"]),
    ("value breaking a deferred condition", lambda: conv().cost(sc.Shape(C=64, H=H, W=8))
     .evaluate(H=2), sc.ConstraintError, ["conv2d", "kernel_size", "H=2"]),
    ("value not a declared multiple", lambda: conv(padding=1).cost(
        sc.Shape(C=64, H=sc.dim("H", multiple_of=32), W=8)).evaluate(H=50),
     sc.ConstraintError, ["H", "multiple of 32", "50"]),
    ("unknown convention", lambda: conv().cost(MAP, "flopz"), sc.UnknownConventionError,
     ["flopz", "seed"]),
    ("code injection string", lambda: conv(kernel_size="__import__('os').system('id')"),
     sc.SpecError, ["conv2d", "kernel_size", "__import__"]),
    ("tower of powers", lambda: conv(kernel_size="9**9**9**9"), sc.SpecError,
     ["conv2d", "kernel_size", "9**9**9**9"]),
    ("huge exponent", lambda: conv(kernel_size="2**100000"), sc.SpecError,
     ["kernel_size", "too large"]),
    ("attribute access", lambda: conv(kernel_size="K.__class__"), sc.SpecError,
     ["kernel_size", "attribute"]),
    ("lambda", lambda: conv(kernel_size="(lambda: 3)()"), sc.SpecError, ["kernel_size"]),
    ("unicode look-alike", lambda: conv(kernel_size="Ｋ"), sc.SpecError,
     ["kernel_size", "ASCII"]),
    ("too long", lambda: conv(kernel_size="K+" * 400 + "K"), sc.SpecError,
     ["kernel_size", "characters"]),
    ("deep nesting", lambda: conv(kernel_size="floor(" * 60 + "K" + ")" * 60), sc.SpecError,
     ["kernel_size", "deeper"]),
    ("parentheses past the parser's limit", lambda: conv(kernel_size="(" * 240 + "K"
                                                         + ")" * 240),
     sc.SpecError, ["kernel_size", "cannot parse"]),
    ("symbolic groups violated at evaluate", lambda: sc.Conv2d(
        in_channels="C", out_channels=12, kernel_size=1, groups=3).cost(
        sc.Shape(C="C", H=4, W=4)).evaluate(C=10), sc.ConstraintError,
     ["conv2d", "groups", "C=10"]),
    ("repeat of a resizing body", lambda: run(sc.Repeat(n=2, body=conv())),
     sc.ShapeMismatchError, ["repeat", "body", "C"]),
    ("residual branches that do not broadcast", lambda: run(sc.Residual(body=conv())),
     sc.ShapeMismatchError, ["add", "C", "128"]),
    ("prelu parameters", lambda: run(sc.PReLU(num_parameters=3)), sc.SpecError,
     ["prelu", "num_parameters", "3"]),
    ("upsample needs one of", lambda: sc.Upsample(), sc.SpecError,
     ["upsample", "scale_factor"]),
    ("unknown model", lambda: sc.zoo.get("resnet9000"), sc.UnknownModelError,
     ["resnet9000", "mobilenet_v1"]),
    ("not a shape", lambda: conv().cost((64, 32, 32)), sc.SpecError, ["conv2d", "Shape"]),
    ("bad bytes per element", lambda: conv().cost(MAP, bytes_per_element=0), sc.SpecError,
     ["bytes_per_element", "0"]),
    ("custom unknown census entry", lambda: sc.Custom(counts={"flop": 3}), sc.SpecError,
     ["custom", "counts", "flop"]),
]


@pytest.mark.parametrize("description, make, error, words", CASES,
                         ids=[c[0] for c in CASES])
def test_invalid_input_raises_a_clear_symcost_error(description, make, error, words):
    with pytest.raises(error) as info:
        make()
    assert isinstance(info.value, sc.SymcostError)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


def test_there_are_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_injection_strings_execute_nothing(tmp_path):
    sentinel = tmp_path / "ran"
    attempts = [f"__import__('os').system('touch {sentinel}')",
                f"open('{sentinel}', 'w')",
                f"exec(\"open('{sentinel}','w')\")",
                "().__class__.__bases__[0].__subclasses__()"]
    for text in attempts:
        with pytest.raises(sc.SymcostError):
            sc.parse(text)
    assert not os.path.exists(sentinel)


def test_spec_errors_are_value_errors_and_keep_their_fields():
    with pytest.raises(ValueError) as info:
        conv(groups=3)
    err = info.value
    assert err.field == "groups" and err.layer == "conv2d"
