import { describe, expect, it } from 'vitest';
import { assertJava, JavaMissingError } from '../../../infra/local/dynamodb-local.ts';

describe('the Java check before DynamoDB Local starts', () => {
  it('fails with a message saying what to install when java is missing', () => {
    expect(() => assertJava('java-that-is-not-installed')).toThrow(JavaMissingError);
    expect(() => assertJava('java-that-is-not-installed')).toThrow(
      /Java 17\+ runtime.*apt-get install -y openjdk-17-jre-headless/,
    );
  });
});
