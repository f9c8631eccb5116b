// Preloaded (`node -r`) into a child process to move its clock years ahead: whatever reads the
// time while building the function's archive then reads a different time than the parent did.
const RealDate = Date;
const OFFSET_MS = 3 * 365 * 24 * 3600 * 1000 + 12_345;

class ShiftedDate extends RealDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
        if (args.length === 0) super(RealDate.now() + OFFSET_MS);
        else super(...(args as ConstructorParameters<typeof Date>));
    }
    static override now(): number {
        return RealDate.now() + OFFSET_MS;
    }
}
globalThis.Date = ShiftedDate as DateConstructor;
