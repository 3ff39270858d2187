/** What a deliverer needs of HTTP: one POST, its status and the start of its answer; network failures throw. */
export interface WebhookTransport {
  post(
    url: string,
    req: { headers: Record<string, string>; body: string; timeoutMs: number },
  ): Promise<{ status: number; body: string }>;
}
