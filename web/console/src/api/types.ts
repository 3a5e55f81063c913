// The shapes of the gateway's answers the console reads (see /openapi.json). int64 fields
// of the gas and overload services come as strings (protobuf's JSON mapping).

export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  errors?: { loc: (string | number)[]; msg: string }[]
  request_id?: string
}

export interface TokenPair {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
}

export type Role = 'officer' | 'legal_reviewer' | 'supervisor' | 'admin' | 'venue_owner'

export interface Me {
  user_id: string
  username: string
  display_name: string
  roles: string[]
  agency_id: string
  town: string | null
  certificate_no: string | null
  venue_id?: string | null
}

// -- legal review -------------------------------------------------------------------------

export type CheckItemKey =
  | 'subject'
  | 'powers'
  | 'facts'
  | 'evidence'
  | 'procedure'
  | 'legal-basis'
  | 'discretion'
  | 'documents'
  | 'criminal-referral'

export interface CheckItem {
  item: CheckItemKey
  passed: boolean
  comment: string
}

export interface Placement {
  benchmark_id: string
  version: number
  finding: string
  message: string
}

/** The penalty proposal as records sent it (POST /v1/cases/{id}/penalty-proposals). */
export interface Proposal {
  kinds?: string[]
  fine_yuan?: number | string
  confiscation_yuan?: number | string
  legal_basis?: string[]
  facts?: string
  discretion?: {
    benchmark_id?: string
    violation_type?: string
    circumstance?: string | null
    departs?: boolean
    departure_reason?: string
  }
  mitigated?: boolean
  hearing_requested?: boolean
  public_interest?: boolean
  complex_case?: boolean
  [key: string]: unknown
}

export type ReviewStatus = 'waiting' | 'assigned' | 'approved' | 'returned' | 'rejected' | string

export interface ReviewTask {
  review_id: string
  case_id: string
  proposal_id: string
  round: number
  agency_id: string
  town: string
  case_title: string
  party_name: string
  party_kind: string
  officer_ids: string[]
  proposal: Proposal
  major: boolean
  reasons: string[]
  placement: Placement
  status: ReviewStatus
  reviewer_id: string | null
  checklist: CheckItem[]
  opinion: string
  due_date: string | null
  extended: boolean
  extension_reason: string
  overdue: boolean
  created_at: string
  completed_at: string | null
  /** 集体讨论: the referral, then the meeting's record */
  meeting?: CollectiveMeeting | null
}

export interface CollectiveMeeting {
  reason: string
  referred_by: string
  referred_at?: string | null
  held_on: string
  participants: string[]
  minutes: string
}

export interface TimelineEntry {
  entry_id: string
  seq: number
  kind: string
  actor_id: string
  server_time: string
  payload: Record<string, unknown>
  evidence: Record<string, unknown>[]
}

export interface EvidenceLink {
  entry_id: string
  sha256: string
  media_type: string
  size: number
  filename: string
  url: string
}

export interface TaskDetail {
  task: ReviewTask
  previous_rounds: ReviewTask[]
  timeline: TimelineEntry[]
  evidence: EvidenceLink[]
  /** the case's party and officers (the gateway reads them from the case) */
  party?: CaseParty | null
  officers?: CaseOfficer[]
}

export interface ReviewStatistics {
  waiting: number
  overdue: number
  completed: number
  not_required: number
  approval_rate: number
  return_reasons: { key: string; count: number }[]
  returns_by_officer: { key: string; count: number }[]
}

// -- cases and supervision ----------------------------------------------------------------

export interface CaseOut {
  case_id: string
  town: string
  domain: string
  title: string
  stage: string
  party: { kind: string; name: string; credit_code: string }
  opened_at: string
  case_no: string | null
  decision_no: string | null
  review_status: string | null
  updated_at: string | null
}

export interface CaseList {
  cases: CaseOut[]
  next_page_token: string | null
}

export interface OfficerTimeliness {
  officer_id: string | null
  entries: number
  in_time: number
  in_time_ratio: number
  p95_delay_s: number
  max_delay_s: number
}

export interface Timeliness {
  officers: OfficerTimeliness[]
  agency: OfficerTimeliness
  allowed_delay_s: number
}

export interface TownCoverage {
  town: string
  registered: number
  protected: number
  unprotected: number
  inspection_overdue: number
  gaps: Record<string, number>
}

export interface Coverage {
  district: TownCoverage
  towns: TownCoverage[]
  unprotected: { venue_id: string; name: string; town: string; gaps: string[] }[]
  computed_at: string
  gap_labels: Record<string, string>
}

export interface StationDay {
  station_id: string
  day: string
  weighed: string | number
  suspected: string | number
  confirmed: string | number
  hundred_tonne_kings: string | number
}

export interface NamedCount {
  key: string
  name: string
  count: string | number
}

export interface OverloadStatistics {
  days: StationDay[]
  top_carriers: NamedCount[]
  top_loading_sources: NamedCount[]
}

export interface RepeatOffenders {
  vehicles: NamedCount[]
  carriers: NamedCount[]
  [key: string]: NamedCount[]
}

// -- gas ----------------------------------------------------------------------------------

export interface Alarm {
  alarm_id: string
  venue_id: string
  venue_name: string
  town: string
  level: number
  active: boolean
  critical: boolean
  acknowledged: boolean
  acknowledged_by: string
  peak_lel: number
  raised_at: string
  updated_at: string
}

export interface AlarmList {
  alarms: Alarm[]
}

// -- administration -----------------------------------------------------------------------

export interface UserOut {
  user_id: string
  username: string
  display_name: string
  roles: string[]
  town: string | null
  certificate_no: string | null
  venue_id: string | null
  active: boolean
  temporary_password: string | null
}

export interface UserIn {
  username: string
  display_name: string
  roles: string[]
  town?: string | null
  certificate_no?: string | null
  venue_id?: string | null
}

export interface UserChange {
  display_name?: string
  roles?: string[]
  town?: string
  certificate_no?: string
  active?: boolean
}

export type DeviceKind = 'gas_detector' | 'shutoff_valve' | 'controller' | 'weigh_station'

export interface Credentials {
  device_id: string
  kind: DeviceKind | string
  owner_id: string
  status: string
  created_at: string
  rotated_at: string | null
  revoked_at: string | null
  previous_valid_until: string | null
  secret: string | null
}

// -- supervision across services ------------------------------------------------------------

export type DeadlineKind = 'review' | 'disclosure' | 'art44_report' | 'task'

export interface DeadlineItem {
  kind: DeadlineKind
  ref_id: string
  case_id: string | null
  title: string
  town: string | null
  due_date: string
  working_days_left: number
  state: 'overdue' | 'due_soon'
  provisional: boolean
}

export interface Deadlines {
  today: string
  within_working_days: number
  counts: { kind: DeadlineKind; overdue: number; due_soon: number; open: number }[]
  items: DeadlineItem[]
  unavailable: string[]
}

export interface Publication {
  case_id: string
  decision_no: string
  party_name: string
  decision_date: string
  due_date: string
  published_at: string
  working_days_to_publish: number
  on_time: boolean
  status: string
  provisional: boolean
}

export interface DisclosureTimeliness {
  deadline_working_days: number
  total: number
  on_time: number
  late: number
  share_on_time: number | null
  months: { month: string; total: number; on_time: number }[]
  publications: Publication[]
}

// -- registers ------------------------------------------------------------------------------

export interface GasVenue {
  venue_id: string
  name: string
  credit_code: string
  address: string
  agency_id: string
  town: string
  contact: string
  first_lel: number
  second_lel: number
  sustain: number
}

export interface GasDevice {
  device_id: string
  venue_id: string
  kind: string
  model: string
  serial: string
  installed_on: string
  last_inspected_on: string
}

export interface DeviceState {
  device: GasDevice
  status: string
  fault: string
  valve_state: string
  last_seen?: string | null
}

export interface CloseCommand {
  command_id: string
  valve_id: string
  alarm_id: string
  status: string
  deliveries: number
  issued_at: string
  acknowledged_at?: string | null
}

export interface VenueDevices {
  venue: GasVenue
  devices: DeviceState[]
  commands: CloseCommand[]
}

export interface Station {
  station_id: string
  name: string
  kind: string
  agency_id: string
  town: string
  scale: { kind: string; accuracy_class: string; interval_kg: number; verified_on: string }
}

export interface CalendarYear {
  year: number
  version: number
  notice_no: string
  holidays: string[]
  makeup_days: string[]
  entered_by: string
  entered_at?: string
  note: string
}

export interface CalendarState {
  today: string
  warning: string
  years: {
    year: number
    source: string
    provisional: boolean
    versions: CalendarYear[]
    statutory_holidays: string[]
  }[]
}

export interface CaseParty {
  kind: string
  name: string
  credit_code: string
  legal_representative: string
  address: string
}

export interface CaseOfficer {
  officer_id: string
  name: string
  certificate_no: string
}

export interface AuditEntry {
  audit_id: number
  at: string
  user_id: string
  username: string | null
  display_name: string | null
  method: string
  route: string
  path: string
  status: number
  request_id: string
}

// -- hazards (隐患挂号整改): the views of /v1/hazards ------------------------------------------

export interface HazardRow {
  hazard_id: string
  hazard_no: string
  town: string
  sector: string
  sector_name: string
  kind: string
  enterprise_name: string
  credit_code: string
  location: string
  status: string
  grade: 'general' | 'major'
  grade_name: string
  order_due: string | null
  supervision_due: string | null
  notice_due: string | null
  overdue: boolean
  step_due: 'warning' | 'summons' | 'notice' | 'case' | null
  supervision_overdue: boolean
  supervision: { office: string; plan: string; due_date: string } | null
}

export interface HazardRate {
  key: string
  name: string
  registered: number
  closed: number
  rectification_rate: number
  avg_working_days_to_close: number | null
}

export interface HazardStats {
  by_town: HazardRate[]
  by_sector: HazardRate[]
}

export interface LedgerGroup {
  key: string
  name: string
  total: number
  major: number
  open: number
  closed: number
  overdue: number
}
