import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

export const JWT_ALGORITHM = 'ES256' as const;

/**
 * The ES256 key pair that signs access tokens. Read from JWT_PRIVATE_KEY_FILE (and
 * optionally JWT_PUBLIC_KEY_FILE) when given, which is how several instances share one;
 * otherwise generated on first start into DATA_DIR/keys with mode 0600 and reused.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  privateKeyPem!: string;
  publicKeyPem!: string;
  kid!: string;
  private publicJwk!: JsonWebKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const { privateKey, publicKey } = await this.load();
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const jwk = publicKey.export({ format: 'jwk' });
    // RFC 7638 thumbprint: a kid that changes exactly when the key does.
    const thumbprint = createHash('sha256')
      .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
      .digest('base64url');
    this.kid = thumbprint;
    this.publicJwk = { ...jwk, kid: thumbprint, alg: JWT_ALGORITHM, use: 'sig' };
  }

  jwks(): { keys: JsonWebKey[] } {
    return { keys: [this.publicJwk] };
  }

  private async load(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
    if (this.config.jwtPrivateKeyFile) {
      const privateKey = createPrivateKey(await readFile(this.config.jwtPrivateKeyFile));
      this.assertEs256(privateKey, this.config.jwtPrivateKeyFile);
      const publicKey = this.config.jwtPublicKeyFile
        ? createPublicKey(await readFile(this.config.jwtPublicKeyFile))
        : createPublicKey(privateKey);
      return { privateKey, publicKey };
    }
    const dir = join(this.config.dataDir, 'keys');
    const file = join(dir, 'jwt-es256.pem');
    try {
      const privateKey = createPrivateKey(await readFile(file));
      return { privateKey, publicKey: createPublicKey(privateKey) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // 'wx': never overwrite a key another instance wrote a moment ago.
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch(
      async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
    await chmod(file, 0o600);
    const stored = createPrivateKey(await readFile(file));
    return { privateKey: stored, publicKey: createPublicKey(stored) };
  }

  private assertEs256(key: KeyObject, file: string): void {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`Invalid JWT_PRIVATE_KEY_FILE: ${file} is not a P-256 (ES256) private key`);
    }
  }
}
