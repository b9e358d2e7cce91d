// smoldot, the light client, in its own thread so that syncing and checking proofs never
// hold up the page (started by lightclient.js with polkadot-api's `startFromWorker`): the
// worker compiles smoldot's WebAssembly, hands it to the page, then runs what it is sent.
import { compileBytecode } from 'smoldot/bytecode';
import * as smoldot from 'smoldot/worker';

compileBytecode().then((bytecode) => postMessage(bytecode));
onmessage = (message) => smoldot.run(message.data);
