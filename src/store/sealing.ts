// Values kept sealed at rest (function secrets, integration credentials): AES-256-GCM under keys derived from the
// server secret, one key per purpose, with the owner of each value bound in as associated data.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A 256-bit key for one purpose (`function-secrets-v1`, …): values sealed for one purpose never open under another. */
export function deriveSealingKey(serverSecret: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'homebase', purpose, 32));
}

/** AES-256-GCM with a fresh IV per value; the app id and name are bound in as associated data. */
export class SecretBox {
  constructor(private readonly key: Buffer) {}

  seal(appId: string, name: string, value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(`${appId}\u0000${name}`));
    const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
  }

  open(appId: string, name: string, sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== 'v1') throw new Error(`Unknown secret format for ${name}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'))
      .setAAD(Buffer.from(`${appId}\u0000${name}`))
      .setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
