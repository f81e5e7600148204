// A Bluesky PDS with its own PLC directory, both on 127.0.0.1, for the peer tests.
//
// Usage: node pds_server.mjs <modules dir> <data dir> <pds port>
// The modules dir is where install_pds.sh put node_modules (outside the repo). PLC keeps its operations in
// memory; the PDS keeps accounts and repos in SQLite under the data dir. One JSON line on stdout says ready.
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [modulesDir, dataDir, portText] = process.argv.slice(2)
const port = Number(portText)
if (!modulesDir || !dataDir || !port) {
  console.error('usage: node pds_server.mjs <modules dir> <data dir> <pds port>')
  process.exit(2)
}
const load = (name) => import(pathToFileURL(createRequire(join(modulesDir, 'package.json')).resolve(name)).href)
const { PDS, envToCfg, envToSecrets, readEnv } = await load('@atproto/pds')
const plc = await load('@did-plc/server')

// Both servers call `app.listen(port)`, which binds every interface: bind loopback only.
const loopbackOnly = (server) => {
  const listen = server.app.listen.bind(server.app)
  server.app.listen = (p) => listen(p, '127.0.0.1')
  return server
}

const plcServer = loopbackOnly(plc.PlcServer.create({ db: plc.Database.mock(), port: 0 }))
const plcListener = await plcServer.start()
const plcUrl = `http://127.0.0.1:${plcListener.address().port}`

Object.assign(process.env, {
  PDS_PORT: String(port),
  PDS_HOSTNAME: 'localhost',
  PDS_DEV_MODE: 'true',
  PDS_DATA_DIRECTORY: dataDir,
  PDS_BLOBSTORE_DISK_LOCATION: join(dataDir, 'blobs'),
  PDS_DID_PLC_URL: plcUrl,
  PDS_SERVICE_HANDLE_DOMAINS: '.test',
  PDS_INVITE_REQUIRED: 'false',
  PDS_RATE_LIMITS_ENABLED: 'false',
  PDS_DISABLE_SSRF_PROTECTION: 'true', // or it refuses to reach its PLC directory on loopback
  PDS_CRAWLERS: '',
  // The tests pass the JWT secret to mint an expired access token; the rest is random per run.
  PDS_JWT_SECRET: process.env.PDS_JWT_SECRET || randomBytes(16).toString('hex'),
  PDS_ADMIN_PASSWORD: process.env.PDS_ADMIN_PASSWORD || randomBytes(16).toString('hex'),
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: randomBytes(32).toString('hex'),
  LOG_ENABLED: process.env.LOG_ENABLED ?? 'false',
})
const env = readEnv()
const pds = loopbackOnly(await PDS.create(envToCfg(env), envToSecrets(env)))
await pds.start()
console.log(JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}`, plc: plcUrl }))

const stop = async () => {
  await pds.destroy().catch(() => {})
  await plcServer.destroy().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
