// "This record is in the log": an RFC 6962 inclusion proof checked on the phone, and the
// signed tree head's Ed25519 signature checked against the key the app pinned.

function hex(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

function b64(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
}

async function node(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const data = new Uint8Array(1 + left.length + right.length)
  data[0] = 1
  data.set(left, 1)
  data.set(right, 1 + left.length)
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** RFC 9162 §2.1.3.2: the root that the audit path gives for the leaf at index of size. */
export async function verifyInclusion(
  leafHex: string,
  index: number,
  size: number,
  pathHex: string[],
  rootHex: string,
): Promise<boolean> {
  if (index >= size) return false
  let fn = index
  let sn = size - 1
  let r: Uint8Array<ArrayBuffer> = hex(leafHex)
  for (const p of pathHex.map(hex)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r)
      while (fn !== 0 && fn % 2 === 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await node(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equal(r, hex(rootHex))
}

export interface SignedHead {
  tree_size: number
  root_hash: string
  timestamp_ms: number
  signature: string
  public_key: string
}

/** The head's Ed25519 signature over `enforcement-records-log-v1\n<size>\n<root>\n<ms>\n`. */
export async function verifyTreeHead(head: SignedHead, pinnedKey: string): Promise<boolean> {
  if (head.public_key !== pinnedKey) return false
  const message = new TextEncoder().encode(
    `enforcement-records-log-v1\n${head.tree_size}\n${head.root_hash}\n${head.timestamp_ms}\n`,
  )
  try {
    const key = await crypto.subtle.importKey('raw', b64(pinnedKey), { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, b64(head.signature), message)
  } catch {
    return false // a browser without Ed25519 in WebCrypto cannot vouch for the head
  }
}
