// Server-Sent Events over fetch (the gateway's streams need the Authorization header, which
// the browser's EventSource cannot send): the parser both apps share.
export {
  parseEventStream as parseSse,
  type StreamEvent as SseEvent,
} from '../../../shared/api-client'
