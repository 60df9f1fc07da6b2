// Node's fast latin1 Buffer paths (undocumented but stable since Node 0.x): one byte ↔ one char,
// no intermediate objects. Used by the RESP parser/writer and string values.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}
export {};
