// Call the chatty fixture's `sample_then_elicit` through the official
// TypeScript SDK (v2, @modelcontextprotocol/client), answering its sampling
// and elicitation requests, and print one JSON object for the Rust test.
//
// Usage: node ts_ask.mjs URL MODE
//   MODE  modern: protocol 2026-07-28 (pinned), the input-required retry
//         legacy: a 2025 session, answered by server-to-client requests
import { createRequire } from 'node:module';
import path from 'node:path';

// The SDK installed by .ci/test under target/node (NODE_MODULES names it).
const require = createRequire(path.join(process.env.NODE_MODULES ?? 'node_modules', 'x.js'));
const { Client, StreamableHTTPClientTransport } = require('@modelcontextprotocol/client');

const [url, mode] = process.argv.slice(2);
const asked = [];
const options = { capabilities: { sampling: {}, elicitation: {} } };
if (mode === 'modern') {
  options.versionNegotiation = { mode: { pin: '2026-07-28' } };
}
const client = new Client({ name: 'ts-ask-test', version: '1.0.0' }, options);
client.setRequestHandler('sampling/createMessage', async (request) => {
  asked.push('sampling:' + request.params.messages[0].content.text);
  return {
    role: 'assistant',
    content: { type: 'text', text: 'hello from TypeScript' },
    model: 'ts-test-model',
    stopReason: 'endTurn',
  };
});
client.setRequestHandler('elicitation/create', async (request) => {
  asked.push('elicitation:' + request.params.message);
  return { action: 'accept', content: { answer: 'forty-two' } };
});
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const result = await client.callTool({ name: 'sample_then_elicit', arguments: {} });
console.log(JSON.stringify({
  protocol_version: client.getNegotiatedProtocolVersion() ?? null,
  asked,
  is_error: result.isError === true,
  structured: result.structuredContent ?? null,
}));
await client.close();
