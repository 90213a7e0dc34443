/**
 * Table-driven tests of the EventBridge event-pattern matcher: one case per operator and per array rule
 * of the AWS documentation ("Amazon EventBridge event patterns", "Content filtering", "Comparison
 * operators", "Matching on arrays", "null values and empty strings"), each with matches and non-matches.
 */
import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  matchesPattern,
  validatePattern,
} from '../../../infra/local/eventbridge/pattern.ts';
import type { EventPattern } from '../../../infra/rules.ts';

/** The documentation's sample EC2 event; cases add or override `detail` fields. */
const base = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

function withDetail(detail: Record<string, unknown>) {
  return { ...base, detail };
}

function withTop(fields: Record<string, unknown>) {
  return { ...base, ...fields };
}

interface Case {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly matches: readonly unknown[];
  readonly nonMatches: readonly unknown[];
}

const cases: readonly Case[] = [
  // --- values, AND/OR, nesting ---
  {
    name: 'exact value',
    pattern: { source: ['aws.ec2'] },
    matches: [base],
    nonMatches: [withTop({ source: 'aws.s3' }), withTop({ source: 'AWS.EC2' })],
  },
  {
    name: 'several values in an array are OR',
    pattern: { detail: { state: ['initializing', 'running'] } },
    matches: [withDetail({ state: 'initializing' }), withDetail({ state: 'running' })],
    nonMatches: [withDetail({ state: 'terminated' })],
  },
  {
    name: 'several fields are AND (documentation: instance-termination events)',
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    matches: [base],
    nonMatches: [withTop({ source: 'aws.s3' }), withDetail({ state: 'running' })],
  },
  {
    name: 'nested objects descend into the event',
    pattern: { detail: { requestParameters: { bucket: { name: ['my-bucket'] } } } },
    matches: [withDetail({ requestParameters: { bucket: { name: 'my-bucket' } } })],
    nonMatches: [
      withDetail({ requestParameters: { bucket: { name: 'other' } } }),
      withDetail({ requestParameters: { bucket: 'my-bucket' } }),
      withDetail({}),
    ],
  },
  {
    name: 'a field missing from the event does not match a value',
    pattern: { detail: { state: ['terminated'] } },
    matches: [base],
    nonMatches: [withDetail({}), { source: 'aws.ec2' }],
  },
  {
    name: 'types do not coerce (number, boolean, string)',
    pattern: { detail: { count: [300], flag: [true] } },
    matches: [withDetail({ count: 300, flag: true }), withDetail({ count: 3.0e2, flag: true })],
    nonMatches: [withDetail({ count: '300', flag: true }), withDetail({ count: 300, flag: 'true' })],
  },
  // --- null and empty string ---
  {
    name: 'null value',
    pattern: { detail: { responseElements: [null] } },
    matches: [withDetail({ eventVersion: '', responseElements: null })],
    nonMatches: [withDetail({ responseElements: '' }), withDetail({}), withDetail({ responseElements: 'x' })],
  },
  {
    name: 'empty string (not interchangeable with null)',
    pattern: { detail: { eventVersion: [''] } },
    matches: [withDetail({ eventVersion: '', responseElements: null })],
    nonMatches: [withDetail({ eventVersion: null }), withDetail({}), withDetail({ eventVersion: '1.0' })],
  },
  // --- prefix / suffix ---
  {
    name: 'prefix',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    matches: [withTop({ time: '2017-10-02T18:43:48Z' })],
    nonMatches: [withTop({ time: '2017-10-03T18:43:48Z' }), withTop({ time: 20171002 })],
  },
  {
    name: 'prefix with equals-ignore-case',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    matches: [
      withDetail({ service: 'EventBridge' }),
      withDetail({ service: 'EVENTBRIDGE' }),
      withDetail({ service: 'eventb' }),
    ],
    nonMatches: [withDetail({ service: 'Events' }), withDetail({ service: 'MyEventBridge' })],
  },
  {
    name: 'suffix',
    pattern: { FileName: [{ suffix: '.png' }] },
    matches: [{ FileName: 'image.png' }],
    nonMatches: [{ FileName: 'image.PNG' }, { FileName: 'image.png.jpg' }, {}],
  },
  {
    name: 'suffix with equals-ignore-case',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    matches: [withDetail({ FileName: 'image.png' }), withDetail({ FileName: 'image.PNG' })],
    nonMatches: [withDetail({ FileName: 'image.jpg' })],
  },
  // --- anything-but ---
  {
    name: 'anything-but a string',
    pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
    matches: [withDetail({ state: 'running' }), withDetail({ state: 'INITIALIZING' })],
    nonMatches: [withDetail({ state: 'initializing' }), withDetail({})],
  },
  {
    name: 'anything-but a number',
    pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    matches: [withDetail({ 'x-limit': 124 }), withDetail({ 'x-limit': 301.8 })],
    nonMatches: [withDetail({ 'x-limit': 123 }), withDetail({})],
  },
  {
    name: 'anything-but a list of strings',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    matches: [withDetail({ state: 'running' })],
    nonMatches: [withDetail({ state: 'stopped' }), withDetail({ state: 'overloaded' })],
  },
  {
    name: 'anything-but a list of numbers',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    matches: [withDetail({ 'x-limit': 301.8 })],
    nonMatches: [withDetail({ 'x-limit': 200 }), withDetail({ 'x-limit': 3e2 })],
  },
  {
    name: 'anything-but prefix',
    pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    matches: [withDetail({ state: 'running' })],
    nonMatches: [withDetail({ state: 'initializing' }), withDetail({})],
  },
  {
    name: 'anything-but suffix',
    pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    matches: [withDetail({ FileName: 'notes.md' })],
    nonMatches: [withDetail({ FileName: 'notes.txt' })],
  },
  {
    name: 'anything-but equals-ignore-case (single value)',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    matches: [withDetail({ state: 'running' })],
    nonMatches: [withDetail({ state: 'initializing' }), withDetail({ state: 'INITIALIZING' })],
  },
  {
    name: 'anything-but equals-ignore-case (list)',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
    matches: [withDetail({ state: 'running' })],
    nonMatches: [withDetail({ state: 'STOPPED' }), withDetail({ state: 'overloaded' })],
  },
  {
    name: 'anything-but wildcard (single value)',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    matches: [withDetail({ FilePath: '/usr/bin/node' })],
    nonMatches: [withDetail({ FilePath: '/usr/lib/node' })],
  },
  {
    name: 'anything-but wildcard (list)',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } },
    matches: [withDetail({ FilePath: '/usr/share/doc' })],
    nonMatches: [withDetail({ FilePath: '/usr/lib/x' }), withDetail({ FilePath: '/usr/bin/x' })],
  },
  // --- numeric ---
  {
    name: 'numeric range (> and <=)',
    pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    matches: [withDetail({ 'c-count': 5 }), withDetail({ 'c-count': 0.5 })],
    nonMatches: [
      withDetail({ 'c-count': 0 }),
      withDetail({ 'c-count': 5.1 }),
      withDetail({ 'c-count': '3' }),
    ],
  },
  {
    name: 'numeric upper bound only (<)',
    pattern: { detail: { 'd-count': [{ numeric: ['<', 10] }] } },
    matches: [withDetail({ 'd-count': 3 }), withDetail({ 'd-count': -7 })],
    nonMatches: [withDetail({ 'd-count': 10 }), withDetail({})],
  },
  {
    name: 'numeric lower bound inclusive (>=) with upper exclusive (<)',
    pattern: { detail: { score: [{ numeric: ['>=', 10, '<', 20] }] } },
    matches: [withDetail({ score: 10 }), withDetail({ score: 19.999 })],
    nonMatches: [withDetail({ score: 9.999 }), withDetail({ score: 20 })],
  },
  {
    name: 'numeric equals (=)',
    pattern: { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    matches: [withDetail({ 'x-limit': 301.8 })],
    nonMatches: [withDetail({ 'x-limit': 301.9 }), withDetail({ 'x-limit': '301.8' })],
  },
  // --- equals-ignore-case, wildcard ---
  {
    name: 'equals-ignore-case',
    pattern: { detail: { name: [{ 'equals-ignore-case': 'alice' }] } },
    matches: [withDetail({ name: 'ALICE' }), withDetail({ name: 'Alice' })],
    nonMatches: [withDetail({ name: 'alicia' }), withDetail({ name: 'alice ' })],
  },
  {
    name: 'wildcard',
    pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    matches: [
      { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
      { EventBusArn: 'arn:aws:events:us-east-1::event-bus/' },
    ],
    nonMatches: [{ EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }],
  },
  {
    name: 'wildcard with an escaped star and a backslash',
    pattern: { detail: { path: [{ wildcard: 'a\\*b*c\\\\' }] } },
    matches: [withDetail({ path: 'a*bXYZc\\' }), withDetail({ path: 'a*bc\\' })],
    nonMatches: [withDetail({ path: 'aXbc\\' }), withDetail({ path: 'a*bc' })],
  },
  // --- exists ---
  {
    name: 'exists true',
    pattern: { detail: { 'c-count': [{ exists: true }] } },
    matches: [withDetail({ 'c-count': 5 }), withDetail({ 'c-count': 'five' })],
    nonMatches: [withDetail({}), withDetail({ 'c-count': { c1: 100 } })],
  },
  {
    name: 'exists false (also matches a non-leaf field, as documented)',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    matches: [withDetail({ state: 'running' }), withDetail({ 'c-count': { c1: 100 } }), { source: 'x' }],
    nonMatches: [withDetail({ 'c-count': 5 })],
  },
  {
    name: 'exists false combined with a value is OR',
    pattern: { detail: { tier: [{ exists: false }, 'gold'] } },
    matches: [withDetail({}), withDetail({ tier: 'gold' })],
    nonMatches: [withDetail({ tier: 'silver' })],
  },
  // --- cidr ---
  {
    name: 'cidr (IPv4)',
    pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    matches: [withDetail({ 'source-ip': '10.0.0.33' }), withDetail({ 'source-ip': '10.0.0.255' })],
    nonMatches: [
      withDetail({ 'source-ip': '10.0.1.1' }),
      withDetail({ 'source-ip': 'not-an-ip' }),
      withDetail({ 'source-ip': '2001:db8::1' }),
    ],
  },
  {
    name: 'cidr (IPv6)',
    pattern: { detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } },
    matches: [withDetail({ 'source-ip': '2001:db8:1234::1' })],
    nonMatches: [withDetail({ 'source-ip': '2001:db9::1' }), withDetail({ 'source-ip': '10.0.0.1' })],
  },
  // --- $or ---
  {
    name: '$or: source AND (metricName OR namespace)',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    },
    matches: [
      { source: 'aws.cloudwatch', metricName: 'ReadLatency' },
      { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
    ],
    nonMatches: [
      { source: 'aws.cloudwatch', metricName: 'DiskUsage', namespace: 'AWS/S3' },
      { source: 'aws.ec2', metricName: 'ReadLatency' },
    ],
  },
  {
    name: '$or with AND inside and nested $or',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
      ],
    },
    matches: [
      { source: 'aws.cloudwatch', metricName: 'CPUUtilization' },
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
    ],
    nonMatches: [
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', metricId: 1 },
      { source: 'aws.cloudwatch', metricType: 'MetricType', metricId: 1234 },
    ],
  },
  {
    name: '$or inside a nested object',
    pattern: { detail: { $or: [{ state: ['running'] }, { 'c-count': [{ numeric: ['>', 10] }] }] } },
    matches: [withDetail({ state: 'running' }), withDetail({ state: 'stopped', 'c-count': 11 })],
    nonMatches: [withDetail({ state: 'stopped', 'c-count': 2 })],
  },
  // --- arrays ---
  {
    name: 'array in the event: matches if the intersection with the pattern values is non-empty',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    },
    matches: [
      withTop({
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:123456789012:image/ami-0a1b2c3d',
        ],
      }),
    ],
    nonMatches: [withTop({ resources: ['arn:aws:ec2:us-east-1:123456789012:image/ami-0a1b2c3d'] })],
  },
  {
    name: 'array in the event: any element satisfying a filter matches',
    pattern: { detail: { tags: [{ prefix: 'team-' }] } },
    matches: [withDetail({ tags: ['prod', 'team-a'] })],
    nonMatches: [withDetail({ tags: ['prod', 'staging'] })],
  },
  {
    name: 'array in the event: anything-but holds if any element is not excluded',
    pattern: { detail: { tags: [{ 'anything-but': 'prod' }] } },
    matches: [withDetail({ tags: ['prod', 'canary'] })],
    nonMatches: [withDetail({ tags: ['prod'] }), withDetail({ tags: [] })],
  },
  {
    name: 'empty array in the event: no value matches, exists false does',
    pattern: { resources: [{ exists: false }] },
    matches: [withTop({ resources: [] })],
    nonMatches: [base],
  },
  {
    name: 'array of objects: one element must match the whole nested pattern',
    pattern: { detail: { items: { sku: ['A'], qty: [{ numeric: ['>', 1] }] } } },
    matches: [
      withDetail({
        items: [
          { sku: 'B', qty: 5 },
          { sku: 'A', qty: 2 },
        ],
      }),
    ],
    nonMatches: [
      withDetail({
        items: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 5 },
        ],
      }),
    ],
  },
  // --- anything-but and non-string values (content filtering, "Anything-but matching"): a string
  // filter cannot exclude null, a number or a boolean, so those values match every anything-but form;
  // the field must still be present ---
  {
    name: 'anything-but a string matches a null value',
    pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
    matches: [withDetail({ state: null }), withDetail({ state: 12 }), withDetail({ state: false })],
    nonMatches: [withDetail({ state: 'initializing' }), withDetail({})],
  },
  {
    name: 'anything-but a list of strings matches a null value',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    matches: [withDetail({ state: null })],
    nonMatches: [withDetail({ state: 'stopped' }), withDetail({})],
  },
  {
    name: 'anything-but prefix matches null and numbers',
    pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    matches: [withDetail({ state: null }), withDetail({ state: 12 }), withDetail({ state: true })],
    nonMatches: [withDetail({ state: 'init' }), withDetail({})],
  },
  {
    name: 'anything-but suffix matches null and numbers',
    pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    matches: [withDetail({ FileName: null }), withDetail({ FileName: 7 })],
    nonMatches: [withDetail({ FileName: 'a.txt' }), withDetail({})],
  },
  {
    name: 'anything-but equals-ignore-case matches null',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
    matches: [withDetail({ state: null })],
    nonMatches: [withDetail({ state: 'stopped' }), withDetail({})],
  },
  {
    name: 'anything-but wildcard matches null and numbers',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/dir/*' } }] } },
    matches: [
      withDetail({ FilePath: null }),
      withDetail({ FilePath: 123 }),
      withDetail({ FilePath: 'dir/x' }),
    ],
    nonMatches: [withDetail({ FilePath: 'a/dir/b' }), withDetail({})],
  },
  {
    name: 'anything-but an empty wildcard excludes only the empty string',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '' } }] } },
    matches: [withDetail({ FilePath: 'dir/init/file' })],
    nonMatches: [withDetail({ FilePath: '' })],
  },
  // --- anything-but with lists of prefixes and suffixes ---
  {
    name: 'anything-but a list of prefixes',
    pattern: { detail: { state: [{ 'anything-but': { prefix: ['init', 'test'] } }] } },
    matches: [withDetail({ state: 'post-init' }), withDetail({ state: 12 }), withDetail({ state: null })],
    nonMatches: [withDetail({ state: 'initializing' }), withDetail({ state: 'testing' }), withDetail({})],
  },
  {
    name: 'anything-but a list of suffixes',
    pattern: { detail: { FileName: [{ 'anything-but': { suffix: ['.txt', '.md'] } }] } },
    matches: [withDetail({ FileName: 'file.txt.bak' }), withDetail({ FileName: null })],
    nonMatches: [withDetail({ FileName: 'a.txt' }), withDetail({ FileName: 'b.md' }), withDetail({})],
  },
  {
    name: 'anything-but a list of wildcards',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/dir/*', '*/lib/*'] } }] } },
    matches: [withDetail({ FilePath: 'dir/post/dir' }), withDetail({ FilePath: 5 })],
    nonMatches: [withDetail({ FilePath: 'a/dir/b' }), withDetail({ FilePath: 'a/lib/b' })],
  },
  // --- prefix matching example ("Prefix matching": Auto Scaling events from European regions) ---
  {
    name: 'prefix on region',
    pattern: { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] },
    matches: [withTop({ source: 'aws.autoscaling', region: 'eu-west-1' })],
    nonMatches: [
      withTop({ source: 'aws.autoscaling', region: 'us-east-1' }),
      withTop({ region: 'eu-west-1' }),
    ],
  },
  // --- wildcard examples ("Wildcard matching") ---
  {
    name: 'wildcard with a star at the end or in the middle',
    pattern: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    matches: [withDetail({ FileName: 'dir/1.png' }), withDetail({ FileName: 'dir/a/b.png' })],
    nonMatches: [withDetail({ FileName: 'other/1.png' }), withDetail({ FileName: 'dir/1.jpg' })],
  },
  {
    name: 'wildcard repeated segments after one star',
    pattern: { FileName: [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }] },
    matches: [{ ...base, FileName: '/Users/ls_user/dir/dir/dir/dir/dir/doc.txt' }],
    nonMatches: [{ ...base, FileName: '/Users/ls_user/dir/dir/doc.txt' }],
  },
  {
    name: 'wildcard with stars around a word',
    pattern: { detail: { title: [{ wildcard: '*Title*' }] } },
    matches: [withDetail({ title: 'A Title here' }), withDetail({ title: 'Title' })],
    nonMatches: [withDetail({ title: 'title' }), withDetail({ title: 12 })],
  },
  // --- dots in field names ("Considerations when creating event patterns": EventBridge joins field
  // names with a dot, so a dotted key is the same field as the nested one, in the pattern and the event) ---
  {
    name: 'a dotted key in the pattern is a nested field',
    pattern: { detail: { 'state.status': ['running'] } },
    matches: [withDetail({ state: { status: 'running' } }), withDetail({ 'state.status': 'running' })],
    nonMatches: [withDetail({ state: { status: 'stopped' } }), withDetail({ state: 'running' })],
  },
  {
    name: 'a dotted key in the event is a nested field',
    pattern: { detail: { state: { status: ['running'] } } },
    matches: [withDetail({ 'state.status': 'running' }), withDetail({ state: { status: 'running' } })],
    nonMatches: [withDetail({ 'state.status': 'stopped' }), withDetail({ 'state.other': 'running' })],
  },
  {
    name: 'a dotted key at the top level',
    pattern: { 'detail.state': ['terminated'] },
    matches: [base, { ...base, detail: undefined, 'detail.state': 'terminated' }],
    nonMatches: [withDetail({ state: 'running' })],
  },
  {
    name: 'a dotted key merges with the nested object beside it',
    pattern: { detail: { state: { code: [16] }, 'state.name': ['running'] } },
    matches: [
      withDetail({ state: { code: 16, name: 'running' } }),
      withDetail({ state: { code: 16 }, 'state.name': 'running' }),
    ],
    nonMatches: [
      withDetail({ state: { code: 16, name: 'stopped' } }),
      withDetail({ state: { name: 'running' } }),
    ],
  },
  {
    name: 'exists false on a dotted key',
    pattern: { detail: { 'state.status': [{ exists: false }] } },
    matches: [withDetail({ state: {} }), withDetail({})],
    nonMatches: [withDetail({ state: { status: 'x' } }), withDetail({ 'state.status': 'x' })],
  },
  // === Every example of the user guide's pattern pages, one group per page and section. ===
  // "Comparison operators for use in event patterns" (the summary table, one case per row):
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
  {
    name: 'operators table: And (Location is "New York" and Day is "Monday")',
    pattern: { Location: ['New York'], Day: ['Monday'] },
    matches: [{ Location: 'New York', Day: 'Monday' }],
    nonMatches: [{ Location: 'New York', Day: 'Tuesday' }, { Location: 'New York' }],
  },
  {
    name: 'operators table: Anything-but (begins with): Region is not in the US',
    pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] },
    matches: [{ Region: 'eu-west-1' }],
    nonMatches: [{ Region: 'us-east-1' }, {}],
  },
  {
    name: 'operators table: Anything-but (ends with): FileName does not end with .png',
    pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    matches: [{ FileName: 'image.jpg' }],
    nonMatches: [{ FileName: 'image.png' }],
  },
  {
    name: 'operators table: Anything-but (ignore case): state is not "initializing" in any casing',
    pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
    matches: [{ state: 'running' }],
    nonMatches: [{ state: 'INITIALIZING' }, { state: 'Initializing' }],
  },
  {
    name: 'operators table: Anything-but using a wildcard: FilePath does not include /lib/',
    pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    matches: [{ FilePath: '/usr/bin/env' }],
    nonMatches: [{ FilePath: '/usr/lib/libc.so' }],
  },
  {
    name: 'operators table: Begins with: Region is in the US',
    pattern: { Region: [{ prefix: 'us-' }] },
    matches: [{ Region: 'us-west-2' }],
    nonMatches: [{ Region: 'eu-west-1' }, { Region: 'US-WEST-2' }],
  },
  {
    name: 'operators table: Begins with (ignore case): service starts with "eventb"',
    pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
    matches: [{ service: 'EventBridge' }, { service: 'EVENTBRIDGE' }],
    nonMatches: [{ service: 'Events' }],
  },
  {
    name: 'operators table: Empty: LastName is empty',
    pattern: { LastName: [''] },
    matches: [{ LastName: '' }],
    nonMatches: [{ LastName: 'Doe' }, { LastName: null }, {}],
  },
  {
    name: 'operators table: Equals: Name is "Alice"',
    pattern: { Name: ['Alice'] },
    matches: [{ Name: 'Alice' }],
    nonMatches: [{ Name: 'alice' }, { Name: 'Bob' }],
  },
  {
    name: 'operators table: Equals (ignore case): Name is "Alice"',
    pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
    matches: [{ Name: 'Alice' }, { Name: 'ALICE' }],
    nonMatches: [{ Name: 'Alicia' }],
  },
  {
    name: 'operators table: Ends with: FileName ends with .png',
    pattern: { FileName: [{ suffix: '.png' }] },
    matches: [{ FileName: 'photo.png' }],
    nonMatches: [{ FileName: 'photo.PNG' }, { FileName: 'photo.jpg' }],
  },
  {
    name: 'operators table: Ends with (ignore case): service ends with "tbridge"',
    pattern: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] },
    matches: [{ service: 'EventBridge' }, { service: 'EVENTBRIDGE' }],
    nonMatches: [{ service: 'EventBus' }],
  },
  {
    name: 'operators table: Exists: ProductName exists',
    pattern: { ProductName: [{ exists: true }] },
    matches: [{ ProductName: 'Widget' }, { ProductName: '' }],
    nonMatches: [{}, { ProductName: { en: 'Widget' } }],
  },
  {
    name: 'operators table: Does not exist: ProductName does not exist',
    pattern: { ProductName: [{ exists: false }] },
    matches: [{}, { Other: 'x' }],
    nonMatches: [{ ProductName: 'Widget' }],
  },
  {
    name: 'operators table: Not: Weather is anything but "Raining"',
    pattern: { Weather: [{ 'anything-but': ['Raining'] }] },
    matches: [{ Weather: 'Sunny' }],
    nonMatches: [{ Weather: 'Raining' }, {}],
  },
  {
    name: 'operators table: Null: UserID is null',
    pattern: { UserID: [null] },
    matches: [{ UserID: null }],
    nonMatches: [{ UserID: '' }, { UserID: 'u-1' }, {}],
  },
  {
    name: 'operators table: Numeric (equals): Price is 100',
    pattern: { Price: [{ numeric: ['=', 100] }] },
    matches: [{ Price: 100 }, { Price: 100.0 }],
    nonMatches: [{ Price: 100.5 }, { Price: '100' }],
  },
  {
    name: 'operators table: Numeric (range): Price is more than 10 and at most 20',
    pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
    matches: [{ Price: 20 }, { Price: 10.5 }],
    nonMatches: [{ Price: 10 }, { Price: 20.01 }],
  },
  {
    name: 'operators table: Or: PaymentType is "Credit" or "Debit"',
    pattern: { PaymentType: ['Credit', 'Debit'] },
    matches: [{ PaymentType: 'Credit' }, { PaymentType: 'Debit' }],
    nonMatches: [{ PaymentType: 'Cash' }],
  },
  {
    name: 'operators table: Or (multiple fields): Location is "New York", or Day is "Monday"',
    pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
    matches: [
      { Location: 'New York', Day: 'Friday' },
      { Location: 'Paris', Day: 'Monday' },
    ],
    nonMatches: [{ Location: 'Paris', Day: 'Friday' }],
  },
  {
    name: 'operators table: Wildcard: a .png file within the folder "dir"',
    pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
    matches: [{ FileName: 'dir/photo.png' }],
    nonMatches: [{ FileName: 'other/photo.png' }, { FileName: 'dir/photo.jpg' }],
  },
  // "Content filtering in Amazon EventBridge event patterns", each section's example:
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
  // (the full text of its earlier versions: awsdocs/amazon-eventbridge-user-guide,
  // doc_source/eb-event-patterns-content-based-filtering.md and content-filtering-with-event-patterns.md)
  {
    name: 'content filtering, prefix matching: "time" starting with 2017-10-02',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    matches: [withTop({ time: '2017-10-02T18:43:48Z' })],
    nonMatches: [base],
  },
  {
    name: 'content filtering, prefix matching ignoring case: service starting with EventB',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    matches: [
      withDetail({ service: 'EventBridge' }),
      withDetail({ service: 'EVENTB' }),
      withDetail({ service: 'eventb' }),
    ],
    nonMatches: [withDetail({ service: 'Event' })],
  },
  {
    name: 'content filtering, suffix matching ignoring case: FileName ending with .png or .PNG',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    matches: [
      withDetail({ FileName: 'a.png' }),
      withDetail({ FileName: 'a.PNG' }),
      withDetail({ FileName: 'a.Png' }),
    ],
    nonMatches: [withDetail({ FileName: 'a.png.txt' })],
  },
  {
    name: 'content filtering, anything-but: all events but CloudTrail API calls',
    pattern: { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] },
    matches: [base],
    nonMatches: [withTop({ 'detail-type': 'AWS API Call via CloudTrail' })],
  },
  {
    name: 'content filtering, anything-but a list: events not from EC2 or S3',
    pattern: { source: [{ 'anything-but': ['aws.ec2', 'aws.s3'] }] },
    matches: [withTop({ source: 'aws.autoscaling' }), withTop({ source: 'my.app' })],
    nonMatches: [base, withTop({ source: 'aws.s3' })],
  },
  {
    name: 'content filtering, anything-but a prefix: only your own events (source not aws.)',
    pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
    matches: [withTop({ source: 'release-desk' })],
    nonMatches: [base, withTop({ source: 'aws.states' })],
  },
  {
    name: 'content filtering, numeric matching: every numeric field must hold',
    pattern: {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    matches: [withDetail({ 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 })],
    nonMatches: [
      withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }),
      withDetail({ 'c-count': 0, 'd-count': 7, 'x-limit': 301.8 }),
      withDetail({ 'c-count': 5, 'd-count': 7 }),
    ],
  },
  {
    name: 'content filtering, IP address matching: sourceIPAddress in 10.0.0.0/24',
    pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    matches: [withDetail({ sourceIPAddress: '10.0.0.0' }), withDetail({ sourceIPAddress: '10.0.0.255' })],
    nonMatches: [withDetail({ sourceIPAddress: '10.0.1.0' }), withDetail({ sourceIPAddress: '11.0.0.1' })],
  },
  {
    name: 'content filtering, IP address matching: an IPv6 /64',
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:0db8:1234:1a00::/64' }] } },
    matches: [
      withDetail({ sourceIPAddress: '2001:db8:1234:1a00::1' }),
      withDetail({ sourceIPAddress: '2001:db8:1234:1a00:ffff::9' }),
    ],
    nonMatches: [withDetail({ sourceIPAddress: '2001:db8:1234:1a01::1' })],
  },
  {
    name: 'content filtering, exists matching: detail.state exists (the page events)',
    pattern: { detail: { state: [{ exists: true }] } },
    matches: [
      {
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      },
    ],
    nonMatches: [
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      },
    ],
  },
  {
    name: 'content filtering, exists matching: no detail.c-count leaf (the page events)',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    matches: [
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { state: ['initializing', 'running'] },
      },
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
      },
    ],
    nonMatches: [withDetail({ 'c-count': 3 })],
  },
  {
    name: 'content filtering, existence matching example: events with a description',
    pattern: { detail: { description: [{ exists: true }] } },
    matches: [withDetail({ description: 'text to index' })],
    nonMatches: [base],
  },
  {
    name: 'content filtering, complex example with multiple matching',
    pattern: {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    },
    matches: [
      withTop({
        time: '2017-10-02T18:43:48Z',
        detail: { state: 'running', 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 },
      }),
    ],
    nonMatches: [
      withTop({
        time: '2017-10-02T18:43:48Z',
        detail: { state: 'initializing', 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 },
      }),
      withTop({
        time: '2017-10-02T18:43:48Z',
        detail: { state: 'running', 'c-count': 5, 'd-count': 7, 'x-limit': 200 },
      }),
      withTop({
        time: '2017-10-03T18:43:48Z',
        detail: { state: 'running', 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 },
      }),
    ],
  },
  {
    name: 'content filtering, equals-ignore-case on detail-type',
    pattern: { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
    matches: [base],
    nonMatches: [withTop({ 'detail-type': 'EC2 Instance Launch Successful' })],
  },
  {
    name: 'content filtering, $or over numeric fields of detail',
    pattern: {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    },
    matches: [withDetail({ 'c-count': 1 }), withDetail({ 'd-count': 9 }), withDetail({ 'x-limit': 301.8 })],
    nonMatches: [withDetail({ 'c-count': 6, 'd-count': 10, 'x-limit': 1 })],
  },
  // "Amazon EventBridge event patterns" / "Create event patterns" (matching values, AND across fields):
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
  {
    name: 'event patterns: several values of one field (EC2 or Fargate)',
    pattern: { source: ['aws.ec2', 'aws.fargate'] },
    matches: [base, withTop({ source: 'aws.fargate' })],
    nonMatches: [withTop({ source: 'aws.s3' })],
  },
  // "Matching null values and empty strings": the page's event and both patterns.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
  {
    name: 'null values page: eventVersion "" and responseElements null both match their pattern',
    pattern: { detail: { eventVersion: [''], responseElements: [null] } },
    matches: [
      {
        version: '0',
        id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
        'detail-type': 'EC2 Instance Launch Successful',
        source: 'aws.autoscaling',
        account: '123456789012',
        time: '2015-11-11T21:31:47Z',
        region: 'us-east-1',
        resources: [],
        detail: { eventVersion: '', responseElements: null },
      },
    ],
    nonMatches: [withDetail({ eventVersion: null, responseElements: '' })],
  },
  // "Arrays in Amazon EventBridge event patterns": the page's resources (an autoscaling group first).
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
  {
    name: 'arrays page: the first pattern value matches the second event value',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    },
    matches: [
      withTop({
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      }),
    ],
    nonMatches: [
      withTop({
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        ],
      }),
    ],
  },
];

describe('matchesPattern', () => {
  it.each(cases)('$name', ({ pattern, matches, nonMatches }) => {
    expect(matches.length).toBeGreaterThan(0);
    expect(nonMatches.length).toBeGreaterThan(0);
    for (const event of matches) expect(matchesPattern(pattern, event), JSON.stringify(event)).toBe(true);
    for (const event of nonMatches) expect(matchesPattern(pattern, event), JSON.stringify(event)).toBe(false);
  });

  // "Content filtering", note on repeated keys: "if you include a key more than once the last reference
  // will be the one used" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html).
  it('uses the last of a key given twice, as the pattern text is parsed', () => {
    const pattern = JSON.parse(
      '{ "detail": { "location": [ { "prefix": "us-" } ], "location": [ { "anything-but": "us-east" } ] } }',
    ) as EventPattern;
    expect(matchesPattern(pattern, withDetail({ location: 'eu-west' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ location: 'us-west' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ location: 'us-east' }))).toBe(false);
  });

  it('matches the rules module patterns against the events they are written for', async () => {
    const { rules, EVENT_SOURCE } = await import('../../../infra/rules.ts');
    const rule = rules.find((r) => r.name === 'start-release-execution');
    expect(rule).toBeDefined();
    const event = withTop({ source: EVENT_SOURCE, 'detail-type': 'Release Created', detail: {} });
    expect(matchesPattern(rule?.eventPattern ?? {}, event)).toBe(true);
    expect(matchesPattern(rule?.eventPattern ?? {}, { ...event, 'detail-type': 'Release Updated' })).toBe(
      false,
    );
  });
});

const invalidPatterns: readonly [string, unknown][] = [
  ['not an object', ['aws.ec2']],
  ['an empty pattern', {}],
  ['a bare value instead of an array', { source: 'aws.ec2' }],
  ['an empty array', { source: [] }],
  ['an empty nested object', { detail: {} }],
  ['a nested array', { source: [['aws.ec2']] }],
  ['an unknown operator', { source: [{ contains: 'ec2' }] }],
  ['a filter with two operators', { source: [{ prefix: 'a', suffix: 'b' }] }],
  ['a non-string prefix', { source: [{ prefix: 1 }] }],
  ['prefix with an unknown option', { source: [{ prefix: { 'ignore-case': 'a' } }] }],
  ['a non-boolean exists', { source: [{ exists: 'yes' }] }],
  ['numeric with an unknown operator', { n: [{ numeric: ['!=', 1] }] }],
  ['numeric with a string bound', { n: [{ numeric: ['>', '1'] }] }],
  ['numeric with two lower bounds', { n: [{ numeric: ['>', 1, '>=', 2] }] }],
  ['numeric with = in a range', { n: [{ numeric: ['=', 1, '<', 2] }] }],
  ['numeric with an empty range', { n: [{ numeric: ['>', 5, '<', 5] }] }],
  ['numeric out of range', { n: [{ numeric: ['>', 6e9] }] }],
  ['anything-but with a mixed list', { s: [{ 'anything-but': ['a', 1] }] }],
  ['anything-but with a boolean', { s: [{ 'anything-but': true }] }],
  ['anything-but with an empty list', { s: [{ 'anything-but': [] }] }],
  ['anything-but with an unknown option', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }],
  ['wildcard with consecutive stars', { s: [{ wildcard: 'a**b' }] }],
  ['wildcard escaping a letter', { s: [{ wildcard: 'a\\b' }] }],
  ['cidr that is not a network', { ip: [{ cidr: '10.0.0.0/33' }] }],
  ['cidr that is not an address', { ip: [{ cidr: 'example.com/8' }] }],
  ['$or with one alternative', { $or: [{ a: ['x'] }] }],
  // AWS refuses these (content filtering: empty prefix/suffix, anything-but operand types, wildcards).
  ['an empty prefix', { time: [{ prefix: '' }] }],
  ['an empty suffix', { FileName: [{ suffix: '' }] }],
  ['an empty prefix ignoring case', { s: [{ prefix: { 'equals-ignore-case': '' } }] }],
  ['an empty suffix ignoring case', { s: [{ suffix: { 'equals-ignore-case': '' } }] }],
  ['anything-but an empty prefix', { detail: { FileName: [{ 'anything-but': { prefix: '' } }] } }],
  ['anything-but an empty suffix', { detail: { FileName: [{ 'anything-but': { suffix: '' } }] } }],
  ['anything-but an empty prefix in a list', { s: [{ 'anything-but': { prefix: ['a', ''] } }] }],
  ['anything-but null', { s: [{ 'anything-but': null }] }],
  ['anything-but a list holding null', { s: [{ 'anything-but': ['a', null] }] }],
  ['anything-but a prefix list holding a number', { s: [{ 'anything-but': { prefix: [123, 'test'] } }] }],
  ['anything-but a suffix list holding null', { s: [{ 'anything-but': { suffix: [null, '.txt'] } }] }],
  [
    'anything-but a wildcard list holding a number',
    { s: [{ 'anything-but': { wildcard: [123, '*/dir/*'] } }] },
  ],
  ['anything-but a numeric prefix', { s: [{ 'anything-but': { prefix: 1 } }] }],
  [
    'anything-but a prefix ignoring case',
    { s: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }] },
  ],
  ['anything-but an empty prefix list', { s: [{ 'anything-but': { prefix: [] } }] }],
  ['wildcard with stars at both ends of a pair', { s: [{ wildcard: '**' }] }],
  ['a wildcard AWS finds too complex', { EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] }],
  [
    'anything-but a wildcard AWS finds too complex',
    { s: [{ 'anything-but': { wildcard: '*:*:*:*:*:event-bus/*' } }] },
  ],
  ['anything-but a wildcard with consecutive stars', { s: [{ 'anything-but': { wildcard: 'a**' } }] }],
  ['$or with a non-object alternative', { $or: [{ a: ['x'] }, 'b'] }],
];

describe('validatePattern', () => {
  it.each(invalidPatterns)('rejects %s', (_name, pattern) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(/^Event pattern is not valid\. Reason: /);
  });

  it('accepts every pattern of the matcher table', () => {
    for (const { pattern } of cases) expect(() => validatePattern(pattern)).not.toThrow();
  });

  it('names where the problem is', () => {
    try {
      validatePattern({ detail: { state: [{ numeric: ['>', 'x'] }] } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventPatternError);
      expect((error as InvalidEventPatternError).path).toBe('detail.state[0].numeric');
    }
  });
});
