/**
 * The graph of a definition (view/state-graph.ts): layers by the longest path from StartAt, an
 * edge of the right kind for every transition, loops and unreachable states, boxes that do not
 * overlap. On today's definition and on made-up ones.
 */
import { strict as assert } from "node:assert";
import { buildCallbackDefinition, STATE_NAMES } from "../infra/definition";
import {
    asGraphDefinition,
    DefinitionShapeError,
    layoutStateGraph,
    type GraphDefinition,
    type GraphEdge,
    type GraphState,
    type StateGraph,
} from "../view/state-graph";

const layerOf = (graph: StateGraph) => Object.fromEntries(graph.nodes.map((n) => [n.name, n.layer]));
const edgesOf = (graph: StateGraph) => graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}${e.back ? " (back)" : ""}`).sort();

function assertNoOverlap(graph: StateGraph): void {
    for (const a of graph.nodes) {
        assert.ok(
            a.x >= 0 && a.y >= 0 && a.x + a.width <= graph.width && a.y + a.height <= graph.height,
            `${a.name} is inside the drawing`,
        );
        for (const b of graph.nodes) {
            if (a === b) continue;
            const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
            assert.ok(apart, `${a.name} and ${b.name} overlap`);
        }
    }
}

/** Every line starts on its source's box and ends on its target's. */
function assertEdgesTouchBoxes(graph: StateGraph): void {
    const node = new Map(graph.nodes.map((n) => [n.name, n]));
    const onBox = (name: string, p: { x: number; y: number }) => {
        const n = node.get(name)!;
        return p.x >= n.x - 0.5 && p.x <= n.x + n.width + 0.5 && p.y >= n.y - 0.5 && p.y <= n.y + n.height + 0.5;
    };
    for (const e of graph.edges as GraphEdge[]) {
        assert.ok(onBox(e.from, e.points[0]), `${e.from} → ${e.to} starts on ${e.from}`);
        assert.ok(onBox(e.to, e.points[e.points.length - 1]), `${e.from} → ${e.to} ends on ${e.to}`);
    }
}

describe("state graph (view/state-graph.ts)", () => {
    it("lays out today's definition from the definition itself", () => {
        const definition = buildCallbackDefinition({
            partition: "aws",
            queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
            topicArn: "arn:aws:sns:eu-west-1:123456789012:notifications",
            taskTimeoutSeconds: 300,
        });
        const graph = layoutStateGraph(asGraphDefinition(definition));
        const S = STATE_NAMES;
        assert.deepEqual(graph.nodes.map((n) => n.name).sort(), Object.keys(definition.States).sort(), "a box for every state");
        assert.deepEqual(layerOf(graph), {
            [S.waitForCallback]: 0,
            [S.notifySuccess]: 1,
            [S.notifyFailure]: 1,
            [S.checkFailure]: 2,
            [S.failWithCause]: 3,
            [S.failWithoutCause]: 3,
            [S.failUnnamed]: 3,
        });
        assert.deepEqual(
            edgesOf(graph),
            [
                `${S.waitForCallback} -next-> ${S.notifySuccess}`,
                `${S.waitForCallback} -catch-> ${S.notifyFailure}`,
                `${S.notifyFailure} -next-> ${S.checkFailure}`,
                `${S.notifyFailure} -catch-> ${S.checkFailure}`,
                // Three Choices lead to the unnamed failure: one line.
                `${S.checkFailure} -choice-> ${S.failUnnamed}`,
                `${S.checkFailure} -choice-> ${S.failWithoutCause}`,
                `${S.checkFailure} -default-> ${S.failWithCause}`,
            ].sort(),
        );
        assert.deepEqual(
            graph.nodes
                .filter((n) => n.terminal)
                .map((n) => n.name)
                .sort(),
            [S.notifySuccess, S.failWithCause, S.failWithoutCause, S.failUnnamed].sort(),
        );
        assert.ok(graph.nodes.every((n) => n.reachable));
        assertNoOverlap(graph);
        assertEdgesTouchBoxes(graph);
    });

    // Both orders of the branches: the longest path must win whichever branch is walked first.
    for (const [first, other] of [
        ["Short", "Long 1"],
        ["Long 1", "Short"],
    ]) {
        it(`a Choice between two Pass branches that meet again (${first} listed first): the join goes below the longer one`, () => {
            const definition: GraphDefinition = {
                StartAt: "Decide",
                States: {
                    Decide: { Type: "Choice", Choices: [{ Next: first }], Default: other },
                    Short: { Type: "Pass", Next: "Done" },
                    "Long 1": { Type: "Pass", Next: "Long 2" },
                    "Long 2": { Type: "Pass", Next: "Done" },
                    Done: { Type: "Succeed" },
                },
            };
            const graph = layoutStateGraph(asGraphDefinition(definition));
            assert.deepEqual(layerOf(graph), { Decide: 0, Short: 1, "Long 1": 1, "Long 2": 2, Done: 3 });
            assert.deepEqual(edgesOf(graph), [
                `Decide -choice-> ${first}`,
                `Decide -default-> ${other}`,
                "Long 1 -next-> Long 2",
                "Long 2 -next-> Done",
                "Short -next-> Done",
            ]);
            assert.equal(graph.nodes.find((n) => n.name === "Done")?.terminal, true, "a Succeed state ends the execution");
            assertNoOverlap(graph);
            assertEdgesTouchBoxes(graph);
        });
    }

    it("a loop back: the edge that closes it is a back edge, and the layers stay by the path from StartAt", () => {
        const definition: GraphDefinition = {
            StartAt: "Poll",
            States: {
                Poll: { Type: "Task", Next: "Ready?", Catch: [{ Next: "Give Up" }] },
                "Ready?": { Type: "Choice", Choices: [{ Next: "Done" }], Default: "Wait" },
                Wait: { Type: "Wait", Next: "Poll" },
                Done: { Type: "Pass", End: true },
                "Give Up": { Type: "Fail" },
            },
        };
        const graph = layoutStateGraph(asGraphDefinition(definition));
        assert.deepEqual(layerOf(graph), { Poll: 0, "Ready?": 1, Wait: 2, Done: 2, "Give Up": 1 });
        const back = graph.edges.filter((e) => e.back);
        assert.deepEqual(
            back.map((e) => `${e.from} → ${e.to}`),
            ["Wait → Poll"],
        );
        // Drawn beside the boxes, not through them.
        const right = Math.max(...graph.nodes.map((n) => n.x + n.width));
        assert.ok(back[0].points.some((p) => p.x > right));
        assertNoOverlap(graph);
        assertEdgesTouchBoxes(graph);
    });

    it("an unreachable state is drawn, marked, after the reachable ones", () => {
        const definition: GraphDefinition = {
            StartAt: "A",
            States: {
                A: { Type: "Pass", Next: "B" },
                B: { Type: "Succeed" },
                Orphan: { Type: "Pass", Next: "B" },
                "Orphan's Next": { Type: "Pass", End: true },
            },
        };
        const graph = layoutStateGraph(asGraphDefinition(definition));
        const node = (name: string) => graph.nodes.find((n) => n.name === name)!;
        assert.equal(node("A").reachable, true);
        assert.equal(node("Orphan").reachable, false);
        assert.equal(node("Orphan's Next").reachable, false);
        assert.ok(node("Orphan").layer > node("B").layer);
        assert.ok(graph.edges.some((e) => e.from === "Orphan" && e.to === "B"));
        assertNoOverlap(graph);
        assertEdgesTouchBoxes(graph);
    });

    it("a Parallel or Map state is one box; its branches are not states of the graph", () => {
        const definition = {
            StartAt: "Fan Out",
            States: {
                "Fan Out": {
                    Type: "Parallel",
                    Branches: [{ StartAt: "Inner", States: { Inner: { Type: "Pass", End: true } } }],
                    Next: "Each",
                },
                Each: { Type: "Map", ItemProcessor: { StartAt: "Item", States: { Item: { Type: "Pass", End: true } } }, End: true },
            },
        };
        const graph = layoutStateGraph(asGraphDefinition(definition));
        assert.deepEqual(
            graph.nodes.map((n) => `${n.name}:${n.type}`),
            ["Fan Out:Parallel", "Each:Map"],
        );
    });

    it("a definition it cannot draw is refused with the reason", () => {
        assert.throws(() => asGraphDefinition("nope"), DefinitionShapeError);
        assert.throws(() => asGraphDefinition({ StartAt: "X", States: { A: { Type: "Pass", End: true } } }), /StartAt "X"/);
        assert.throws(() => asGraphDefinition({ StartAt: "A", States: { A: { Next: "B" } } }), /state "A" has no Type/);
        assert.throws(
            () => asGraphDefinition({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } }),
            /state "A"'s next names "Nowhere", which is not a state/,
        );
    });

    it("a long chain of states does not overflow the stack", () => {
        const count = 5000;
        const States: Record<string, GraphState> = {};
        for (let i = 0; i < count; i++) States[`S${i}`] = i === count - 1 ? { Type: "Succeed" } : { Type: "Pass", Next: `S${i + 1}` };
        const graph = layoutStateGraph({ StartAt: "S0", States });
        assert.equal(graph.nodes.find((n) => n.name === `S${count - 1}`)?.layer, count - 1);
    });
});
