"""A journey definition drawn as a graph: one box per step, top to bottom in their order, the
fall-through to the next step as a straight arrow and every jump (branch case, goto, the
outcome of a wait for an event) as a curved arrow on the right, labelled."""

from dataclasses import dataclass, field

from journeys.spec import (
    END,
    NEXT,
    Branch,
    End,
    Goto,
    JourneySpec,
    Send,
    Wait,
    WaitForEvent,
    WaitLocalTime,
    WaitUntil,
)

BOX_WIDTH, BOX_HEIGHT, GAP, LEFT, TOP = 560, 54, 30, 20, 20


@dataclass
class Node:
    id: str
    kind: str
    detail: str
    x: int
    y: int
    in_flight: int | None = None


@dataclass
class Jump:
    path: str  # SVG path data
    label: str
    label_x: int
    label_y: int


@dataclass
class Graph:
    nodes: list[Node]
    straight: list[tuple[int, int, int, int]]  # x1, y1, x2, y2
    jumps: list[Jump] = field(default_factory=list)
    width: int = 0
    height: int = 0


def describe(step: object) -> str:
    match step:
        case Wait(after=after):
            return f"wait {after} after the anchor"
        case WaitLocalTime(days=days, at=at):
            return f"wait until {at:%H:%M} local, day +{days}"
        case WaitUntil(date=date, offset=offset):
            return f"wait until {date}" + (f" {offset}" if offset else "")
        case WaitForEvent(events=events, timeout=timeout):
            return f"wait ≤ {timeout} for {', '.join(events)}"
        case Branch(cases=cases):
            return f"branch: {len(cases)} case(s) and otherwise"
        case Goto(to=to, times=times):
            return f"goto {to}" + (f" (at most {times}×)" if times else "")
        case End():
            return "end"
        case Send(channels=channels, offer=offer, offer_rule=rule, template=template):
            offered = offer or (rule if rule != "fixed" else None)
            return f"send {template} via {' › '.join(channels)}" + (
                f" · offer {offered}" if offered else ""
            )
    return ""


def _jumps(step: object) -> list[tuple[str, str]]:
    """(target, label) of every way the step leaves other than falling through."""
    match step:
        case Branch(cases=cases, otherwise=otherwise):
            return [(case.goto, f"case {i}") for i, case in enumerate(cases, 1)] + [
                (otherwise, "otherwise")
            ]
        case Goto(to=to):
            return [(to, "goto")]
        case WaitForEvent(on_event=on_event, on_timeout=on_timeout):
            return [(on_event, "event"), (on_timeout, "timeout")]
        case WaitUntil(if_missing=missing, if_past=past):
            return [(missing, "date missing"), (past, "date past")]
    return []


def journey_graph(spec: JourneySpec, in_flight: dict[str, int] | None = None) -> Graph:
    ids = [step.id for step in spec.steps]
    nodes = [
        Node(
            id=step.id,
            kind=step.kind,
            detail=describe(step),
            x=LEFT,
            y=TOP + i * (BOX_HEIGHT + GAP),
            in_flight=None if in_flight is None else in_flight.get(step.id, 0),
        )
        for i, step in enumerate(spec.steps)
    ]
    end_y = TOP + len(ids) * (BOX_HEIGHT + GAP)
    nodes.append(Node(id=END, kind="end", detail="the journey ends", x=LEFT, y=end_y))
    centre = LEFT + BOX_WIDTH // 2
    straight, jumps = [], []
    lane = 0
    for i, step in enumerate(spec.steps):
        top, bottom = nodes[i].y, nodes[i].y + BOX_HEIGHT
        falls_through = not isinstance(step, End | Goto) or (
            isinstance(step, Goto) and step.times is not None
        )
        if isinstance(step, End):
            jumps_out = [(END, "end")]
        else:
            jumps_out = _jumps(step)
        if falls_through and not isinstance(step, Branch | WaitForEvent | WaitUntil):
            straight.append((centre, bottom, centre, bottom + GAP))
        for target, label in jumps_out:
            index = i + 1 if target == NEXT else (len(ids) if target == END else ids.index(target))
            if index == i + 1:
                straight.append((centre, bottom, centre, bottom + GAP))
                continue
            lane += 1
            start_y, end_y2 = top + BOX_HEIGHT // 2, nodes[index].y + BOX_HEIGHT // 2
            right = LEFT + BOX_WIDTH
            bulge = right + 20 + 22 * lane
            jumps.append(
                Jump(
                    path=f"M {right} {start_y} C {bulge} {start_y}, {bulge} {end_y2}, "
                    f"{right + 6} {end_y2}",
                    label=label,
                    label_x=bulge - 8,
                    label_y=(start_y + end_y2) // 2,
                )
            )
    return Graph(
        nodes=nodes,
        straight=sorted(set(straight)),
        jumps=jumps,
        width=LEFT + BOX_WIDTH + 60 + 22 * lane + 60,
        height=end_y + BOX_HEIGHT + TOP,
    )
