/**
 * ARNs of the local Step Functions service, shaped like AWS's:
 * `arn:aws:states:<region>:<account>:stateMachine:<name>[:<version>]` and
 * `arn:aws:states:<region>:<account>:execution:<stateMachineName>:<executionName>`.
 */

/** Region and account the local service pretends to live in. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/** The ARN of a state machine (unversioned). */
export function stateMachineArn(scope: ArnScope, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;
}

/** The ARN of a published version of a state machine. */
export function stateMachineVersionArn(machineArn: string, version: number): string {
  return `${machineArn}:${version}`;
}

/** The ARN of an execution; executions of every version share the state machine's name space. */
export function executionArn(scope: ArnScope, stateMachineName: string, executionName: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${executionName}`;
}

/** A state machine ARN split into its base ARN and optional version number. */
export interface ParsedStateMachineArn {
  readonly baseArn: string;
  readonly name: string;
  readonly version?: number;
}

/** Parses a state machine or state machine version ARN; undefined when it is neither. */
export function parseStateMachineArn(arn: string): ParsedStateMachineArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts.length > 8 || parts[0] !== 'arn' || parts[2] !== 'states') return undefined;
  if (parts[5] !== 'stateMachine' || !parts[6]) return undefined;
  const baseArn = parts.slice(0, 7).join(':');
  const versionPart = parts[7];
  if (versionPart === undefined) return { baseArn, name: parts[6] };
  if (!/^[1-9][0-9]*$/.test(versionPart)) return undefined;
  return { baseArn, name: parts[6], version: Number(versionPart) };
}

/** True when the string is shaped like an execution ARN. */
export function isExecutionArn(arn: string): boolean {
  const parts = arn.split(':');
  return parts.length === 8 && parts[0] === 'arn' && parts[2] === 'states' && parts[5] === 'execution';
}

const forbiddenNameCharacters = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControlCharacter = (char: string) => {
  const code = char.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};

/** AWS's rule for state machine and execution names: 1–80 characters, none of the reserved ones. */
export function isValidName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 80 &&
    !forbiddenNameCharacters.test(name) &&
    ![...name].some(isControlCharacter)
  );
}
