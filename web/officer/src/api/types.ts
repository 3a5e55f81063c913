// The shapes of the gateway's answers that the app reads (see /openapi.json).

export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  errors?: { loc: (string | number)[]; msg: string }[]
  request_id?: string
}

export interface Me {
  user_id: string
  username?: string
  display_name?: string
  roles: string[]
  agency_id: string
  /** the agency's name; null when the gateway has none configured */
  agency_name?: string | null
  town?: string | null
  certificate_no?: string | null
}

export interface GeoPoint {
  latitude: number
  longitude: number
  accuracy_m: number
}

export interface Party {
  kind: 'organization' | 'person'
  name: string
  credit_code?: string
  id_number?: string
  legal_representative?: string
  address?: string
}

export interface Officer {
  officer_id: string
  name: string
  certificate_no: string
}

export interface Case {
  case_id: string
  client_case_id: string
  agency_id: string
  town: string
  domain: string
  title: string
  stage: string
  party: Party
  officers: Officer[]
  opened_at: string
  case_no: string | null
  decision_no: string | null
  review_status: string | null
  entry_count: number
  version: number
  updated_at: string | null
}

export interface Evidence {
  sha256: string
  size: number
  media_type: string
  object_key: string
  filename: string
}

export interface Entry {
  entry_id: string
  case_id: string
  seq: number
  leaf_index: number | null // null while queued for the log's sequencer
  queued?: boolean
  kind: string
  client_entry_id: string
  actor_id: string
  device_time: string | null
  server_time: string
  delay_s: number
  location: GeoPoint | null
  payload: Record<string, unknown>
  evidence: Evidence[]
  corrects_entry_id: string | null
  entry_hash: string
}

export interface Task {
  task_id: string
  town: string
  domain: string
  title: string
  party: Party | null
  details: Record<string, unknown>
  source_topic: string
  priority: string
  status: string
  case_id: string | null
  created_at: string
}

export interface SyncPage {
  cases: Case[]
  entries: Entry[]
  next_cursor: number
  more: boolean
}

export interface EvidenceSlot {
  slot_id: string
  status: 'pending' | 'attached'
  put_url: string | null
  parts: { part_number: number; url: string; size: number }[]
  expires_at: string | null
  entry: Entry | null
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
}

export interface TreeHead {
  tree_size: number
  root_hash: string
  timestamp_ms: number
  signature: string
  public_key: string
}
