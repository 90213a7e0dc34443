/**
 * Typed access to `asl-validator` (CommonJS, no type declarations).
 */
import { createRequire } from 'node:module';

/** One fault `asl-validator` reports. */
export interface AslValidationError {
  readonly 'Error code': string;
  readonly Message: string;
}

/** The result of validating a state machine definition. */
export interface AslValidationResult {
  readonly isValid: boolean;
  readonly errors: readonly AslValidationError[];
  readonly errorsText: (separator?: string) => string;
}

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => AslValidationResult;

const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/**
 * Validates an ASL definition with paths and ARNs checked. Works on a copy, because the validator
 * writes a default `QueryLanguage` into every state it sees.
 */
export function validateAsl(definition: unknown): AslValidationResult {
  return aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
}
