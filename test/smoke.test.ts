import { describe, it } from 'node:test';
import { differentialServers } from './support/differential.js';

describe('smoke: dispatch errors match Redis', () => {
  const servers = differentialServers();

  it('PING, ECHO, unknown command, arity, SELECT range', async () => {
    const t = await servers.pair();
    await t.do('PING');
    await t.do('PING', 'hello');
    await t.do('ECHO', 'x\r\ny');
    await t.error('NOSUCHCOMMAND', 'a', 'b');
    await t.error('nosuch', 'x'.repeat(300));
    await t.error('GET');
    await t.error('GET', 'a', 'b');
    await t.error('SELECT', '99');
    await t.error('SELECT', 'x');
    await t.do('SET', 'k', 'v');
    await t.do('GET', 'k');
  });
});
