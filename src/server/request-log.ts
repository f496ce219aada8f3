import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * Request logging sized for a Pi's SD card: the web UI polls every few seconds, so successful
 * requests are logged at debug only; 4xx/5xx answers get one info line with method, URL (secrets
 * scrubbed by the logger's serializer), status and duration.
 */
export class QuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode >= 400) reply.log.info(line, 'request completed');
    else reply.log.debug(line, 'request completed');
  }
}
