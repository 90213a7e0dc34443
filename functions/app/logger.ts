/**
 * The shared structured logger (Powertools): one JSON object per line, with the Lambda context
 * (`injectLambdaContext`'s keys, added by functions/app/telemetry.ts) and the correlation ids of
 * the invocation running (functions/app/invocation.ts). Tests and the local cloud keep it quiet
 * unless POWERTOOLS_LOG_LEVEL says otherwise; `LOG_FORMAT=pretty` renders the same lines for a
 * person on the local cloud (infra/local/log-format.ts).
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { invocationKeys } from './invocation.ts';
import { serviceName } from './service-name.ts';

/**
 * Powertools' own keys (its PowertoolsLogFormatter, which the package does not export), then the
 * running invocation's function and correlation ids, then what the call logged. Outside Lambda
 * (the local cloud) there is no Lambda context: its keys are left out, `function` remains.
 */
export class InvocationLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        ...invocationKeys(),
      },
    }).addAttributes(additional);
  }
}

// The stage's service name, as the Tracer and the metrics name it: a fixed one here would win over
// POWERTOOLS_SERVICE_NAME and set a stage's log lines apart from its traces and metrics.
export const logger = new Logger({ serviceName: serviceName(), logFormatter: new InvocationLogFormatter() });
