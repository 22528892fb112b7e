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


LINE_WIDTH, LINE_HEIGHT, MARGIN = 300, 130, 6
AXIS, FOOT = 30, 12  # room for the scale's labels at the left, and the first and last labels


def lines(series: list[tuple[str, list[float | None]]], labels: list[str], title: str,
          shown=str) -> Markup:
    """Lines over time: one per series (its name is its CSS class), a point per label where it
    has a value (None: no value that time; the line joins the values around it), on a scale
    from the lowest value to the highest, labelled at both ends with `shown(value)`; the first
    and last labels under it."""
    values = [v for _, points in series for v in points if v is not None]
    if not labels or not values:
        return Markup("")
    low, high = min(values), max(values)
    if high == low:
        low, high = low * 0.9, high * 1.1 or 1
    step = (LINE_WIDTH - AXIS - 2 * MARGIN) / max(len(labels) - 1, 1)
    inner = LINE_HEIGHT - FOOT - 2 * MARGIN

    def y(value: float) -> float:
        return MARGIN + inner * (high - value) / (high - low)

    shapes = [scale_label(AXIS - 2, y(value) + 3, "end", shown(value)) for value in (high, low)]
    shapes += [scale_label(AXIS + MARGIN, LINE_HEIGHT - 2, "start", labels[0]),
               scale_label(LINE_WIDTH, LINE_HEIGHT - 2, "end", labels[-1])]
    for name, points in series:
        spots = [(AXIS + MARGIN + index * step, y(value), labels[index], value)
                 for index, value in enumerate(points) if value is not None]
        if len(spots) > 1:
            path = " ".join(f"{x:.1f},{top:.1f}" for x, top, _, _ in spots)
            shapes.append(f'<polyline class="{escape(name)}" points="{path}"/>')
        shapes += [f'<circle class="{escape(name)}" cx="{x:.1f}" cy="{top:.1f}" r="2.5">'
                   f'<title>{escape(label)}: {escape(shown(value))}</title></circle>'
                   for x, top, label, value in spots]
    return Markup(f'<svg class="chart lines" viewBox="0 0 {LINE_WIDTH} {LINE_HEIGHT}" '
                  f'role="img" aria-label="{escape(title)}">' + "".join(shapes) + "</svg>")


def scale_label(x: float, y: float, anchor: str, text: str) -> str:
    """A label of a chart's scale at (x, y), its end or start there (`anchor`)."""
    return (f'<text class="scale" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
            f'{escape(text)}</text>')
