/**
 * The graph of a state machine definition, laid out from the definition itself, as the console
 * draws it: top to bottom, one layer per step of the longest path from `StartAt`, an edge for
 * every transition (`Next`, `Default`, `Choices[].Next`, `Catch[].Next`). Pure: a definition in,
 * boxes and lines out; `execution-page.ts` turns them into SVG.
 */

/** How a transition is written in the definition. */
export type EdgeKind = "next" | "default" | "choice" | "catch";

/** The fields of a state that the graph reads; nested `Parallel` branches and `Map` processors are one box. */
export interface GraphState {
    Type: string;
    Next?: string;
    End?: boolean;
    Default?: string;
    Choices?: ReadonlyArray<{ Next?: string }>;
    Catch?: ReadonlyArray<{ Next?: string }>;
}

/** The part of a definition the graph reads. */
export interface GraphDefinition {
    StartAt: string;
    States: Readonly<Record<string, GraphState>>;
}

export interface GraphNode {
    /** The state's name. */
    name: string;
    /** Its `Type` (Task, Choice, Pass, Fail, …). */
    type: string;
    /** Its row: the length of the longest path from `StartAt` to it (unreachable states come after the rest). */
    layer: number;
    /** Whether any path from `StartAt` leads to it. */
    reachable: boolean;
    /** Whether the execution can end here (`End`, or a Succeed or Fail state). */
    terminal: boolean;
    /** Its box: top-left corner and size, in pixels. */
    x: number;
    y: number;
    width: number;
    height: number;
}

export interface GraphEdge {
    from: string;
    to: string;
    kind: EdgeKind;
    /** Leads back to the same or an earlier layer (a loop): drawn around the side of the boxes. */
    back: boolean;
    /** The line to draw, as points from the source box to the target box. */
    points: ReadonlyArray<{ x: number; y: number }>;
}

export interface StateGraph {
    nodes: GraphNode[];
    edges: GraphEdge[];
    /** The size of the whole drawing, in pixels. */
    width: number;
    height: number;
}

/** The sizes of the drawing, in pixels. */
export const LAYOUT = {
    nodeHeight: 36,
    minNodeWidth: 110,
    maxNodeWidth: 300,
    /** Roughly what one character of a state's name takes at the page's font size. */
    charWidth: 7.4,
    horizontalGap: 36,
    layerGap: 56,
    margin: 24,
    /** How far apart the lines of loops run beside the boxes. */
    loopSpacing: 14,
} as const;

/** A state machine definition the graph cannot be drawn from, and why. */
export class DefinitionShapeError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DefinitionShapeError";
    }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks that a parsed definition (from `DescribeStateMachineForExecution`, say) has what the
 * graph reads: `StartAt` naming a state, each state a `Type`, each transition a state's name.
 * Throws a {@link DefinitionShapeError} naming what is wrong.
 */
export function asGraphDefinition(definition: unknown): GraphDefinition {
    if (!isRecord(definition)) throw new DefinitionShapeError("the definition is not a JSON object");
    const { StartAt, States } = definition;
    if (!isRecord(States) || Object.keys(States).length === 0) throw new DefinitionShapeError("the definition has no States");
    // Own states only: `in` would take `toString` or `constructor`, inherited from Object, for states.
    if (typeof StartAt !== "string" || !Object.hasOwn(States, StartAt))
        throw new DefinitionShapeError(`StartAt ${JSON.stringify(StartAt)} is not one of the States`);
    for (const [name, state] of Object.entries(States)) {
        if (!isRecord(state) || typeof state.Type !== "string") throw new DefinitionShapeError(`state ${JSON.stringify(name)} has no Type`);
        for (const { kind, to } of transitionsOf(state as unknown as GraphState)) {
            if (!Object.hasOwn(States, to))
                throw new DefinitionShapeError(`state ${JSON.stringify(name)}'s ${kind} names ${JSON.stringify(to)}, which is not a state`);
        }
    }
    return definition as unknown as GraphDefinition;
}

/** A state's transitions in the order the console lists them; repeats (two Choices to one state) once. */
export function transitionsOf(state: GraphState): { kind: EdgeKind; to: string }[] {
    const out: { kind: EdgeKind; to: string }[] = [];
    const add = (kind: EdgeKind, to: unknown) => {
        if (typeof to === "string" && !out.some((t) => t.kind === kind && t.to === to)) out.push({ kind, to });
    };
    for (const choice of Array.isArray(state.Choices) ? state.Choices : []) add("choice", choice?.Next);
    add("default", state.Default);
    add("next", state.Next);
    for (const catcher of Array.isArray(state.Catch) ? state.Catch : []) add("catch", catcher?.Next);
    return out;
}

/**
 * The layer of each state: the longest path to it from `StartAt`, not counting edges that close a
 * loop (found by a depth-first walk from `StartAt`, as edges to a state still being walked).
 * States no path reaches get layers after the reachable ones, laid out the same way among themselves.
 */
export function layersOf(definition: GraphDefinition): { layers: Map<string, number>; backEdges: Set<string>; reachable: Set<string> } {
    const names = Object.keys(definition.States);
    const successors = new Map(names.map((name) => [name, [...new Set(transitionsOf(definition.States[name]).map((t) => t.to))]]));
    const backEdges = new Set<string>();
    const order: string[] = []; // reverse post-order: a topological order once back edges are left out
    const seen = new Set<string>();
    const walk = (roots: string[]) => {
        for (const root of roots) {
            if (seen.has(root)) continue;
            // An explicit stack: a long chain of states must not overflow the call stack.
            const onPath = new Set<string>([root]);
            const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
            seen.add(root);
            while (stack.length > 0) {
                const top = stack[stack.length - 1];
                const targets = successors.get(top.name) ?? [];
                if (top.next < targets.length) {
                    const to = targets[top.next++];
                    if (onPath.has(to)) backEdges.add(edgeKey(top.name, to));
                    else if (!seen.has(to)) {
                        seen.add(to);
                        onPath.add(to);
                        stack.push({ name: to, next: 0 });
                    }
                } else {
                    stack.pop();
                    onPath.delete(top.name);
                    order.push(top.name);
                }
            }
        }
    };
    walk([definition.StartAt]);
    const reachable = new Set(seen);
    const reachableOrder = order.splice(0).reverse();
    // Unreachable states: start from those no other unreachable state leads to, then any left (a loop).
    const rest = names.filter((name) => !reachable.has(name));
    const targetedByRest = new Set(rest.flatMap((name) => successors.get(name) ?? []));
    walk([...rest.filter((name) => !targetedByRest.has(name)), ...rest]);
    const restOrder = order.reverse();

    const layers = new Map<string, number>();
    const assign = (topological: string[], base: number) => {
        const group = new Set(topological);
        for (const name of topological) if (!layers.has(name)) layers.set(name, base);
        for (const name of topological) {
            for (const to of successors.get(name) ?? []) {
                if (backEdges.has(edgeKey(name, to)) || !group.has(to)) continue;
                layers.set(to, Math.max(layers.get(to) ?? base, (layers.get(name) ?? base) + 1));
            }
        }
    };
    assign(reachableOrder, 0);
    const afterReachable = reachableOrder.length === 0 ? 0 : Math.max(...reachableOrder.map((n) => layers.get(n) ?? 0)) + 1;
    assign(restOrder, afterReachable);
    return { layers, backEdges, reachable };
}

const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

/** The width of a state's box: its name's, within bounds (a longer name is cut with "…" when drawn). */
export function nodeWidth(name: string): number {
    return Math.round(Math.min(LAYOUT.maxNodeWidth, Math.max(LAYOUT.minNodeWidth, name.length * LAYOUT.charWidth + 28)));
}

/** Lays out the graph of a definition: boxes by layer, centred, and a line for every transition. */
export function layoutStateGraph(definition: GraphDefinition): StateGraph {
    const { layers, backEdges, reachable } = layersOf(definition);
    const names = Object.keys(definition.States);
    const byLayer: string[][] = [];
    for (const name of names) (byLayer[layers.get(name) ?? 0] ??= []).push(name);
    const rows = byLayer.filter((row) => row !== undefined);

    // Within a layer, each state goes under the mean position of the states that lead to it, so
    // that fewer lines cross; ties keep the definition's order.
    const position = new Map<string, number>();
    const predecessors = new Map<string, string[]>(names.map((n) => [n, []]));
    for (const name of names)
        for (const { to } of transitionsOf(definition.States[name]))
            if (!backEdges.has(edgeKey(name, to))) predecessors.get(to)?.push(name);
    for (const row of rows) {
        const weight = (name: string) => {
            const placed = (predecessors.get(name) ?? []).filter((p) => position.has(p)).map((p) => position.get(p) ?? 0);
            return placed.length === 0 ? Number.POSITIVE_INFINITY : placed.reduce((a, b) => a + b, 0) / placed.length;
        };
        const weights = new Map(row.map((name) => [name, weight(name)]));
        row.sort((a, b) => (weights.get(a) ?? 0) - (weights.get(b) ?? 0));
        row.forEach((name, i) => position.set(name, (i + 0.5) / row.length));
    }

    const rowWidths = rows.map((row) => row.reduce((sum, name) => sum + nodeWidth(name), 0) + LAYOUT.horizontalGap * (row.length - 1));
    const contentWidth = Math.max(...rowWidths);
    const nodes: GraphNode[] = [];
    rows.forEach((row, r) => {
        let x = LAYOUT.margin + (contentWidth - rowWidths[r]) / 2;
        for (const name of row) {
            const state = definition.States[name];
            const width = nodeWidth(name);
            nodes.push({
                name,
                type: state.Type,
                layer: layers.get(name) ?? 0,
                reachable: reachable.has(name),
                terminal: state.End === true || state.Type === "Succeed" || state.Type === "Fail",
                x,
                y: LAYOUT.margin + r * (LAYOUT.nodeHeight + LAYOUT.layerGap),
                width,
                height: LAYOUT.nodeHeight,
            });
            x += width + LAYOUT.horizontalGap;
        }
    });

    const node = new Map(nodes.map((n) => [n.name, n]));
    const right = LAYOUT.margin + contentWidth;
    const edges: GraphEdge[] = [];
    let loops = 0;
    for (const name of names) {
        const outgoing = transitionsOf(definition.States[name]);
        const from = node.get(name);
        // Each line leaves the bottom of the box at its own place, ordered as the targets stand
        // left to right, so that lines from one box do not cross each other.
        const centre = (to: string) => (node.get(to)?.x ?? 0) + (node.get(to)?.width ?? 0) / 2;
        const slots = outgoing.map((t, i) => ({ ...t, i })).sort((a, b) => centre(a.to) - centre(b.to) || a.i - b.i);
        outgoing.forEach(({ kind, to }, i) => {
            const target = node.get(to);
            if (from === undefined || target === undefined) return;
            const back = backEdges.has(edgeKey(name, to)) || target.layer <= from.layer;
            if (back) {
                // Out of the source's right side, up beside every box, into the target's right side.
                const lane = right + LAYOUT.loopSpacing * ++loops;
                const fy = from.y + from.height / 2;
                const ty = target.y + target.height / 2;
                edges.push({
                    from: name,
                    to,
                    kind,
                    back,
                    points: [
                        { x: from.x + from.width, y: fy },
                        { x: lane, y: fy },
                        { x: lane, y: ty },
                        { x: target.x + target.width, y: ty },
                    ],
                });
                return;
            }
            const slot = slots.findIndex((t) => t.i === i);
            const spread = outgoing.length === 1 ? 0.5 : 0.2 + (0.6 * slot) / (outgoing.length - 1);
            const start = { x: from.x + from.width * spread, y: from.y + from.height };
            const end = { x: target.x + target.width / 2, y: target.y };
            edges.push({ from: name, to, kind, back, points: [start, { x: start.x, y: start.y + LAYOUT.layerGap / 2 }, end] });
        });
    }
    return {
        nodes,
        edges,
        width: right + LAYOUT.margin + LAYOUT.loopSpacing * loops,
        height: LAYOUT.margin * 2 + rows.length * LAYOUT.nodeHeight + (rows.length - 1) * LAYOUT.layerGap,
    };
}
