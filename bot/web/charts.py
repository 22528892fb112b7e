"""Charts drawn by the server as inline SVG: nothing to download, and the numbers they show are
in the page's text too (a table beside or under the chart)."""
from markupsafe import Markup, escape

WIDTH, HEIGHT, GAP = 300, 100, 1


def bars(series: list[tuple[str, list[int]]], labels: list[str], title: str) -> Markup:
    """Grouped bars: one group per label, one bar per series (its name is its CSS class)."""
    groups, per_group = len(labels), len(series)
    if not groups:
        return Markup("")
    top = max([max(values, default=0) for _, values in series] + [1])
    slot = WIDTH / groups
    bar = max((slot - GAP * (per_group + 1)) / per_group, 0.5)
    shapes = []
    for index, label in enumerate(labels):
        for position, (name, values) in enumerate(series):
            height = HEIGHT * values[index] / top
            x = index * slot + GAP + position * (bar + GAP)
            shapes.append(f'<rect class="{escape(name)}" x="{x:.1f}" y="{HEIGHT - height:.1f}" '
                          f'width="{bar:.1f}" height="{height:.1f}"><title>{escape(label)}: '
                          f'{values[index]}</title></rect>')
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
                  f'aria-label="{escape(title)}" preserveAspectRatio="none">'
                  + "".join(shapes) + "</svg>")
