"""What Jupyter shows (issue 18, item 7): the symbolic HTML table aligned, grouped, indented
and with the total last; rich reprs for evaluated costs, convention comparisons and
breakdown rows."""

import re

import symcost as sc

H, W = sc.dims("H W")
X = sc.Shape(C=3, H=H, W=W)


def test_network_html_aligns_groups_digits_indents_and_ends_with_the_total():
    html = sc.zoo.resnet18().cost(X, "macs").evaluate(H=224, W=224)._repr_html_()
    body, foot = html.split("<tfoot>")
    assert "<b>total</b>" in foot and "<b>1,814,073,344</b>" in foot  # torchvision: 1.81 G
    assert 'padding-left:1.2em;text-align:left">layer1.0' in body
    numbers = re.findall(r'<td style="text-align:right">([\d,]+)</td>', body)
    assert numbers and all("," in n for n in numbers if len(n) > 3)  # digits grouped


def test_cost_values_show_parts_and_total_as_a_table():
    C_in, C_out, K = sc.dims("C_in C_out K")
    sep = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
                             padding="same")
    values = sep.cost(sc.Shape(C=C_in, H=H, W=W)).evaluate(C_in=64, C_out=128, K=3, H=112,
                                                            W=112)
    html = values._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert [re.findall(r">([^<]*)</td>", r)[:2] for r in rows[1:]] == [
        ["depthwise", "7,225,344"], ["pointwise", "102,760,448"], ["total", "109,985,792"]]


def test_convention_comparison_is_a_table_with_each_rule():
    net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3),
                                sc.BatchNorm2d(num_features=8), sc.ReLU()])
    html = sc.compare_conventions(net, X, "fvcore", "thop").at(H=32, W=32)._repr_html_()
    assert "<th" in html and "batchnorm2d ×1" in html and "14,400" in html
    assert "-14,400" in html and "inputs, ×2 with affine" in html
    assert "<b>208,800</b>" in html and "<b>223,200</b>" in html


def test_breakdown_rows_render_as_a_table():
    rows = sc.zoo.resnet18().cost(X, "macs").breakdown(1)
    assert isinstance(rows, list) and len(rows) == 12  # the root and eleven top-level rows
    html = rows._repr_html_()
    assert html.count("<tr>") == 13 and "layer1" in html and r"\(" in html
