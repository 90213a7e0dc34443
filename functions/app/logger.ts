/**
 * The shared structured logger (Powertools). Tests and the local cloud keep it quiet unless
 * POWERTOOLS_LOG_LEVEL says otherwise.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'release-desk' });
