/** What the test process asks a pod's agent to do, and what comes back (one JSON line each way). */
export type AgentRequest =
  | { op: 'connect'; protocol: 'TCP' | 'UDP'; host: string; port: number; timeoutMs: number }
  | { op: 'resolve'; server: string; query: string; protocol: 'TCP' | 'UDP'; timeoutMs: number };

/** `peer` is the name the listener answered with; `addresses` the A records of a DNS answer. */
export type AgentReply = { ok: true; peer?: string; addresses?: string[] } | { ok: false; error: string };
