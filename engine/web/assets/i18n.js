// i18n — Japanese first, English on request: the page's own words here; the pathway's words come
// from its {ja, en} titles. The choice is a cookie of its own (nothing personal is stored).

const STRINGS = {
  app: ["つなぐ 社会的処方連携", "tsunagu social prescription"],
  skip: ["本文へ移動", "Skip to content"],
  language: ["English", "日本語"],
  languageLabel: ["表示言語を切り替える", "Switch the language"],
  signOut: ["ログアウト", "Sign out"],
  signIn: ["ログイン", "Sign in"],
  signedInAs: ["ログイン中", "Signed in as"],
  loading: ["読み込み中…", "Loading…"],
  required: ["必須", "Required"],
  optional: ["任意", "Optional"],
  errorsTitle: ["入力内容を確認してください", "Check what you entered"],
  errorsCount: ["件の項目に問題があります", "fields need attention"],
  staleTitle: ["他の人がこのケースを更新しました", "Someone else changed this case"],
  staleBody: ["最新の内容を読み込み直しました。もう一度操作してください。", "The latest version has been loaded. Please try again."],
  sessionWarn: ["操作がないため、まもなくログアウトします", "You will be signed out soon for inactivity"],
  sessionWarnBody: ["続けるには「続ける」を押してください。", "Press Continue to stay signed in."],
  sessionContinue: ["続ける", "Continue"],
  sessionEnded: ["セッションが終了しました。もう一度ログインしてください。", "Your session ended. Please sign in again."],
  notFound: ["該当するページ・ケースはありません", "No such page or case"],
  failed: ["処理できませんでした", "That did not work"],
  save: ["保存", "Save"],
  send: ["送信", "Send"],
  cancel: ["取消", "Cancel"],
  print: ["印刷", "Print"],
  search: ["検索", "Search"],
  none: ["なし", "None"],
  yes: ["はい", "Yes"],
  no: ["いいえ", "No"],
  // navigation
  navInbox: ["受付一覧", "Inbox"],
  navRefer: ["新しい紹介", "New referral"],
  navReferrals: ["紹介した人", "My referrals"],
  navProvider: ["紹介された人", "People referred to us"],
  navCheckup: ["健診データ", "Checkups"],
  navResources: ["社会資源", "Resources"],
  // sign-in
  loginTitle: ["ログイン", "Sign in"],
  loginName: ["ログイン名", "Sign-in name"],
  loginNameHelp: ["管理者から知らされた名前（例: sato）", "The name your administrator gave you (e.g. sato)"],
  passphrase: ["パスフレーズ", "Passphrase"],
  passphraseHelp: ["10 文字以上。共用端末では他の人に見られないよう注意してください。", "At least 10 characters. Mind who can see the screen at a shared counter."],
  firstTime: ["はじめての方（登録コードをお持ちの方）", "First time here (you have an enrolment code)"],
  enrolTitle: ["初回登録：パスフレーズを決める", "First visit: set your passphrase"],
  enrolCode: ["登録コード", "Enrolment code"],
  enrolCodeHelp: ["XXXX-XXXX-XXXX-XXXX の形。一度だけ使えます。", "Like XXXX-XXXX-XXXX-XXXX. It works once."],
  newPassphrase: ["新しいパスフレーズ", "New passphrase"],
  newPassphrase2: ["新しいパスフレーズ（確認）", "New passphrase (again)"],
  passMismatch: ["確認用のパスフレーズが一致しません", "The two passphrases differ"],
  passShort: ["パスフレーズは 10 文字以上にしてください", "The passphrase must be at least 10 characters"],
  totpTitle: ["二要素認証", "Second factor"],
  totpCode: ["認証アプリの 6 桁のコード", "The six digits of your authenticator app"],
  totpCodeHelp: ["アプリに表示されている数字を入力してください（30 秒ごとに変わります）。", "Enter the digits the app shows now (they change every 30 seconds)."],
  totpSetup: ["認証アプリ（Google Authenticator など）にこのキーを登録してください", "Add this key to an authenticator app (Google Authenticator, etc.)"],
  totpKey: ["キー", "Key"],
  backToLogin: ["ログインへ戻る", "Back to sign-in"],
  // badges
  overdue: ["期限超過", "Overdue"],
  businessDays: ["営業日", "business days"],
  businessDaysN: ["{n}営業日", "{n} business days"],
  overdueBy: ["期限超過 {n}営業日", "Overdue by {n} business days"],
  overdueBy1: ["期限超過 1営業日", "Overdue by 1 business day"],
  dueToday: ["今日まで", "Due today"],
  dueIn: ["あと{n}営業日", "Due in {n} business days"],
  dueIn1: ["あと1営業日", "Due in 1 business day"],
  newBadge: ["新着", "New"],
  closed: ["終結", "Closed"],
  // inbox
  inboxTitle: ["受付一覧", "Inbox"],
  filterScope: ["対象", "Show"],
  casesCount: ["件", " cases"],
  filterMine: ["自分の担当", "Assigned to me"],
  filterCentre: ["所属のケース", "My organisation's"],
  filterPathway: ["パス", "Pathway"],
  filterArea: ["地区", "Area"],
  filterOverdue: ["期限超過のみ", "Overdue only"],
  filterAll: ["すべて", "All"],
  sortDue: ["期限の近い順", "Soonest due first"],
  sortUpdated: ["更新の古い順", "Least recently updated first"],
  sortLabel: ["並び順", "Sort"],
  apply: ["絞り込む", "Filter"],
  colPerson: ["本人", "Person"],
  colState: ["状況", "State"],
  colDue: ["期限", "Due"],
  colFrom: ["紹介元", "From"],
  colTo: ["受け手", "To"],
  colAssignee: ["担当", "Assignee"],
  colOpened: ["紹介日", "Referred on"],
  colUpdated: ["更新", "Updated"],
  noCases: ["該当するケースはありません", "No cases"],
  more: ["さらに表示", "Show more"],
  unassigned: ["未割当", "Unassigned"],
  // case page
  caseTitle: ["ケース", "Case"],
  person: ["本人の情報", "The person"],
  actionsTitle: ["できること", "What you can do"],
  noActions: ["いまできる操作はありません", "Nothing to do now"],
  history: ["経過", "History"],
  notes: ["メモ", "Notes"],
  noteText: ["メモの内容", "Note"],
  noteVisibility: ["公開範囲", "Who may read it"],
  visOrganisation: ["自機関のみ", "My organisation only"],
  visParties: ["このケースの関係機関", "Every party to the case"],
  addNote: ["メモを追加", "Add the note"],
  assign: ["担当者", "Assignee"],
  assignTo: ["担当を変更", "Assign"],
  correct: ["本人情報の訂正", "Correct the person's details"],
  duplicates: ["同じ人の可能性があるケース", "Possible duplicates"],
  timers: ["期限", "Timers"],
  timerReminds: ["お知らせを送信", "a notification is sent"],
  timerActs: ["自動で", "automatically"],
  links: ["つないだ社会資源", "Resources linked"],
  feedback: ["フィードバック", "Feedback"],
  consentTitle: ["本人の同意", "Consent"],
  printConsent: ["同意書を印刷", "Print the consent form"],
  printCase: ["この画面を印刷", "Print this page"],
  // referral
  referTitle: ["新しい紹介", "New referral"],
  choosePathway: ["紹介するパス", "Pathway"],
  subjectTitle: ["本人", "The person"],
  name: ["氏名", "Name"],
  kana: ["ふりがな（カナ）", "Name in kana"],
  birthDate: ["生年月日", "Date of birth"],
  birthHelp: ["例: 昭和23年3月2日、S23.3.2、1948-03-02", "e.g. 昭和23年3月2日, S23.3.2 or 1948-03-02"],
  dateHelp: ["例: 2026-05-08、令和8年5月8日、R8.5.8", "e.g. 2026-05-08, 令和8年5月8日 or R8.5.8"],
  isoDateHelp: ["年-月-日（例: 2026-04-01）、和暦（R8.4.1、令和8年4月1日）も可", "YYYY-MM-DD (e.g. 2026-04-01), or in the Japanese era (R8.4.1)"],
  badDate: ["日付として読めません。2026-04-01 や R8.4.1 のように入力してください", "Not a date: type it as 2026-04-01 or R8.4.1"],
  dateBad: ["日付が読めません（例: 2026-05-08、令和8年5月8日）", "Cannot read the date (e.g. 2026-05-08)"],
  birthBad: ["生年月日が読めません（例: 昭和23年3月2日）", "Cannot read the date of birth (e.g. S23.3.2)"],
  sex: ["性別", "Sex"],
  phone: ["電話番号", "Phone"],
  area: ["地区", "Area"],
  chooseOne: ["選んでください", "Choose one"],
  consentCovers: ["同意の範囲（情報を渡してよい先）", "What the consent covers (who may receive the details)"],
  consentPurpose: ["目的", "Purpose"],
  obtainedBy: ["同意を得た人", "Consent obtained by"],
  obtainedAt: ["同意を得た日", "Consent obtained on"],
  method: ["同意の方法", "How it was obtained"],
  written: ["書面", "In writing"],
  verbal: ["口頭", "Verbally"],
  scope: ["本人が同意した内容", "What the person agreed to"],
  destination: ["送り先", "Goes to"],
  destinationTriage: ["受付後に担当機関へ振り分けます", "A triage chooses the receiving organisation"],
  destinationNone: ["この地区の受け手が設定されていません", "No organisation receives referrals from this area"],
  chooseReceiver: ["別の受け手を選ぶ", "Choose another receiver"],
  usuallyBefore: ["ふだん ", "usually accepts within "],
  usuallyAfter: [" 営業日以内に受付", " business days"],
  sendReferral: ["紹介を送る", "Send the referral"],
  sent: ["紹介を送りました", "The referral was sent"],
  actionDone: ["「{action}」を記録しました", "Recorded: {action}"],
  blankConsent: ["同意書（白紙）を印刷", "Print a blank consent form"],
  // referrals
  referralsTitle: ["紹介した人", "My referrals"],
  progress: ["進み具合", "Progress"],
  showClosed: ["終結したものも表示", "Show closed ones too"],
  showOpen: ["進行中のものだけ表示", "Open ones only"],
  joined: ["参加", "Joined"],
  proposed: ["提案", "Proposed"],
  proposedOn: ["提案日", "Proposed on"],
  linksNotShown: ["表示できません（本人の個人情報です）", "Not shown (the person's personal data)"],
  joinedOn: ["参加日", "Joined on"],
  declined: ["辞退", "Declined"],
  ended: ["終了", "Ended"],
  // provider
  providerTitle: ["紹介された人", "People referred to us"],
  markJoined: ["参加した", "Joined"],
  markDeclined: ["辞退した", "Declined"],
  markEnded: ["終了した", "Ended"],
  myResources: ["自機関の社会資源", "Our resources"],
  capacity: ["受け入れ状況", "Capacity"],
  confirmedOn: ["確認日", "Confirmed on"],
  accepting: ["受け入れ可", "Accepting"],
  waitlist: ["順番待ち", "Waiting list"],
  full: ["満員", "Full"],
  closedCap: ["休止", "Closed"],
  // resources
  resourcesTitle: ["社会資源をさがす", "Find a resource"],
  where: ["場所", "Where"],
  keyword: ["キーワード", "Keyword"],
  keywordHelp: ["ひらがな・カタカナ・漢字のどれでも探せます", "Hiragana, katakana or kanji all match"],
  category: ["分類", "Category"],
  link: ["この人をつなぐ", "Link the person"],
  shareWithProvider: ["本人の氏名と連絡先を提供先に渡す", "Hand the person's name and contact to the provider"],
  shareConsent: ["渡してよいことを本人が同意している", "The person agreed to it"],
  consentCheck: ["同意の確認", "Consent check"],
  printSlip: ["つながり処方せんを印刷", "Print the prescription slip"],
  // checkup
  checkupTitle: ["健診データの取り込み", "Checkup import"],
  csvFile: ["健診の CSV ファイル", "The checkup CSV file"],
  csvHelp: ["UTF-8 または Shift_JIS（CP932）。1 行目は見出し。", "UTF-8 or Shift_JIS (CP932); the first row is the header."],
  upload: ["取り込む", "Import"],
  refused: ["取り込めなかった行", "Rows refused"],
  changed: ["前回と内容が変わった行", "Changed rows"],
  opened: ["開いたケース", "Cases opened"],
  row: ["行", "Row"],
  column: ["列", "Column"],
  reason: ["理由", "Reason"],
  lettersTitle: ["お便りの送付待ち", "Letters to send"],
  printLetters: ["お便りをまとめて印刷", "Print the letters"],
  recordSent: ["送付を記録", "Record as sent"],
  openByHand: ["手入力でケースを開く", "Open a case by hand"],
  // coordinators
  navCoord: ["ダッシュボード", "Dashboard"],
  coordTitle: ["コーディネーター", "Coordinators"],
  coordDashboard: ["ダッシュボード", "Dashboard"],
  coordOverdue: ["期限を過ぎた作業", "Open work past its time"],
  coordOverdueLead: ["期限（SLA）を過ぎて開いているケースを、受け手ごとに営業日で示します（個人情報は表示しません）。", "Open cases past an SLA timer, by receiver, in business days (no personal data)."],
  coordNotifications: ["通知", "Notifications"],
  coordAudit: ["監査", "Audit"],
  coordPathways: ["パス", "Pathways"],
  fiscalYear: ["年度", "Fiscal year"],
  periodFrom: ["期間（開始）", "From"],
  periodTo: ["期間（終了）", "To"],
  groupBy: ["集計の単位", "Group by"],
  group_pathway: ["パスごと", "Pathway"],
  group_origin: ["紹介元ごと", "Origin"],
  group_receiver: ["受け手ごと", "Receiver"],
  group_area: ["地区ごと", "Area"],
  group_month: ["月ごと", "Month"],
  group_fiscal_year: ["年度ごと", "Fiscal year"],
  funnel: ["到達したケース数", "Cases reaching each milestone"],
  milestone: ["段階", "Milestone"],
  casesCol: ["件数", "Cases"],
  outcomes: ["結果", "Outcomes"],
  durations: ["段階の間の日数", "Business days between milestones"],
  reminders: ["督促", "Reminders"],
  escalations: ["報告", "Escalations"],
  fromTo: ["区間", "From → to"],
  median: ["中央値", "Median"],
  max: ["最大", "Max"],
  noNotifications: ["失敗している通知はありません", "No failing notifications"],
  status: ["状態", "Status"],
  channel: ["送信先", "Channel"],
  template: ["種類", "Template"],
  attempts: ["試行", "Attempts"],
  lastError: ["最後のエラー", "Last error"],
  dead: ["送信できず", "Dead"],
  retrying: ["再試行中", "Retrying"],
  retrySelected: ["選んだ通知を再送", "Retry the selected"],
  retried: ["再送に回した通知", "Sent for retry"],
  chain: ["記録の改ざん検査", "The event chain"],
  chainOk: ["改ざんはありません", "Intact"],
  chainBroken: ["記録が改ざんされています", "Broken"],
  eventsChecked: ["件を検査", " events checked"],
  auditList: ["一覧", "List"],
  accessLog: ["アクセス記録", "Access log"],
  resourcesCsv: ["社会資源へのつなぎ", "Links to resources"],
  provisionRecords: ["第三者提供記録", "Provision records"],
  when: ["日時", "When"],
  who: ["利用者", "Who"],
  org: ["機関", "Organisation"],
  what: ["内容", "What"],
  fromOrg: ["提供元", "From"],
  toOrg: ["提供先", "To"],
  items: ["項目", "Items"],
  basis: ["根拠", "Basis"],
  diagramCaption: ["状態と操作の図（Graphviz で作図）", "States and actions (drawn by Graphviz)"],
  statesList: ["状態と操作の一覧（文字で）", "States and actions as text"],
  personLookup: ["本人の記録を調べる", "Look up one person's records"],
  personId: ["本人・ケースの ID または被保険者番号", "A subject, case or person id"],
  personIdHelp: ["調べたことも、目的とともにアクセス記録に残ります。", "The lookup itself is written to the access log with its purpose."],
  purpose: ["目的", "Purpose"],
  purposeInspection: ["監査・検査", "An inspection"],
  purposeDisclosure: ["開示請求", "A disclosure request"],
  purposeComplaint: ["苦情への対応", "A complaint"],
  versionsCaption: ["版と、その版で進行中のケース", "Versions and the cases still running on each"],
  recordedAt: ["記録した日時", "Recorded"],
  runningCases: ["進行中のケース", "Running cases"],
  loadedNow: ["現在の版", "loaded"],
  checkedAt: ["検査した日時", "Checked at"],
  scheduledCheck: ["定期検査（デーモンが自動で実行）", "Scheduled check (the daemon's own)"],
  reviewTitle: ["見直し資料", "Review pack"],
  reviewNote: ["集計のみ（ケース番号・氏名なし）。{n}件未満は「{n}未満」と表示", "Aggregates only (no case ids or names); counts under {n} show as “under {n}”"],
  under: ["未満", " or fewer"],
  suppressed: ["非表示", "withheld"],
  version: ["版", "Version"],
  slaBreaches: ["期限の超過（督促・報告）", "SLA breaches (reminders, escalations)"],
  kind: ["種類", "Kind"],
  resourceUse: ["社会資源の利用（分類ごと）", "Resource use by category"],
  resourceUseEach: ["社会資源の利用（資源ごと）", "Resource use by resource"],
  resourceCol: ["社会資源", "Resource"],
  whatChanged: ["版の変更点", "What changed between the versions"],
  states: ["状態", "States"],
  fieldsTitle: ["項目", "Fields"],
  diffAdded: ["追加", "Added"],
  diffRemoved: ["削除", "Removed"],
  diffChanged: ["変更", "Changed"],
  rulesTitle: ["パスの決まり", "The pathway's rules"],
  coordRecords: ["連携の記録", "Coordination records"],
  recordsLead: ["相談窓口・連携の課題・連携の場の記録です。個人についての記録ではありません。記録はコーディネーターだけが見られ、読んだことはアクセス記録に残ります。",
    "The consultation desk, the coordination issues and the meetings. These are records about no person; only the coordinators see them, and each read is logged."],
  total: ["計", "Total"],
  recordsActedOn: ["取り組んだ課題", "Issues acted on"],
  actionsTaken: ["取組", "Actions"],
  importCounts: ["システム導入前の年度の件数を取り込む", "Import the counts of the years before the system"],
  importCountsHelp: ["件数だけの CSV（1 行目は見出し）:", "A CSV of counts only (a header first):"],
  import: ["取り込む", "Import"],
  chooseFile: ["ファイルを選んでください", "Choose a file"],
  imported: ["取り込んだ件数", "Counts imported"],
  recordsCount: ["件", " records"],
  recordTitle: ["記録", "Record"],
  newRecord: ["新しい記録", "New record"],
  recordSave: ["記録する", "Save the record"],
  noPersonalDataWarning: ["個人についての記録ではありません。本人・患者・参加者の氏名など、個人が分かることは書かないでください。",
    "This is a record about no person: do not write anyone's name or anything else that identifies a person."],
  noChoices: ["選べるものがありません", "Nothing to choose"],
  rule_eligibility: ["対象となる条件", "Eligibility"],
  rule_start: ["受付時の行き先", "Where an opening goes"],
  rule_opened_by: ["紹介できる人", "Who may open"],
  rule_consent: ["同意", "Consent"],
  rule_receivers: ["受け手", "Receivers"],
  rule_subject: ["本人情報の項目", "The person's details asked"],
  coordReview: ["見直し資料", "Review pack"],
  triageQueue: ["コーディネーターの対応を待つ紹介", "Waiting on the coordinators"],
};

export let lang = /(?:^|; )tsunagu_lang=en(?:;|$)/.test(document.cookie) ? "en" : "ja";

export function t(key) {
  const s = STRINGS[key];
  if (!s) return key;
  return lang === "en" ? s[1] : s[0];
}

// A {ja, en} text of the pathway or the config.
export function text(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  return (lang === "en" ? v.en || v.ja : v.ja || v.en) || "";
}

export function setLang(l) {
  document.cookie = `tsunagu_lang=${l}; Path=/; SameSite=Strict; Max-Age=31536000`;
  lang = l;
}

const EVENTS = {
  timer: ["期限の通知", "Reminder"], migrate: ["新しい版へ移行", "Moved to a new version of the pathway"], assign: ["担当の変更", "Assignment"], correct_subject: ["本人情報の訂正", "Person's details corrected"],
  correct_fields: ["項目の訂正", "Fields corrected"], note: ["メモ", "Note"], link_proposed: ["社会資源につなぐ提案", "Resource proposed"],
  link_joined: ["社会資源に参加", "Joined a resource"], link_declined: ["社会資源を辞退", "Declined a resource"],
  link_ended: ["社会資源のつなぎ終了", "Resource link ended"], link_shared: ["提供先へ連絡先を提供", "Contact handed to the provider"],
  link_note: ["つなぎのメモ", "Link note"],
};
// The words of an event the engine writes itself (not an action of the pathway), or null.
export function eventName(action) {
  const s = EVENTS[action];
  return s ? (lang === "en" ? s[1] : s[0]) : null;
}

const KINDS = {
  city: ["市", "City"], health_checkup: ["健診担当", "Health checkups"], pharmacy: ["薬局", "Pharmacy"],
  support_centre: ["地域包括支援センター", "Community support centre"],
  life_support_centre: ["生活応援センター", "Life support centre"], welfare_council: ["社会福祉協議会", "Welfare council"],
  clinic: ["診療所", "Clinic"], hospital: ["病院", "Hospital"], care_manager: ["居宅介護支援", "Care manager"],
  fire: ["消防", "Fire service"], resource_provider: ["社会資源の提供者", "Resource provider"], other: ["その他", "Other"],
};
export function kindName(k) {
  const s = KINDS[k];
  return s ? (lang === "en" ? s[1] : s[0]) : k;
}

const ROLES = {
  pharmacist: ["薬剤師", "Pharmacist"], nurse: ["保健師・看護職", "Nurse"], checkup_staff: ["健診担当", "Checkup staff"],
  agency_staff: ["関係機関職員", "Agency staff"], coordinator: ["コーディネーター", "Coordinator"], admin: ["管理者", "Admin"],
};
export function roleName(r) {
  const s = ROLES[r];
  return s ? (lang === "en" ? s[1] : s[0]) : r;
}

const SEX = { female: ["女性", "Female"], male: ["男性", "Male"], other: ["その他", "Other"], unknown: ["不明", "Unknown"] };
export function sexName(v) {
  const s = SEX[v];
  return s ? (lang === "en" ? s[1] : s[0]) : v;
}
export const SEXES = Object.keys(SEX);

const MILESTONES = {
  opened: ["紹介", "Referred"], accepted: ["受付", "Accepted"], contacted: ["連絡", "Contacted"],
  linked: ["つなぎ", "Linked"], feedback: ["フィードバック", "Feedback"], closed: ["終結", "Closed"],
};
export const MILESTONE_ORDER = ["opened", "accepted", "contacted", "linked", "feedback", "closed"];
export function milestoneName(m) {
  const s = MILESTONES[m];
  return s ? (lang === "en" ? s[1] : s[0]) : m;
}

// What an access-log row says was read or done (the engine's own codes).
const ACCESS = {
  "case.open": ["紹介を作成", "Opened a referral"], "case.open.replay": ["紹介の再送（同じ内容）", "Referral sent again (replay)"],
  "case.read": ["ケースを閲覧", "Read the case"], "case.list": ["一覧に表示", "Shown in a list"],
  "case.notes": ["メモを閲覧", "Read the notes"], "case.note": ["メモを記入", "Wrote a note"],
  "case.events": ["履歴を閲覧", "Read the history"], "case.action": ["操作", "Took an action"],
  "case.assign": ["担当を設定", "Assigned"], "case.subject": ["本人情報を訂正", "Corrected the person's details"],
  "case.links": ["つなぎを閲覧", "Read the links"], "case.link": ["つなぎを作成・変更", "Made or changed a link"],
  "links.provider": ["提供機関がつなぎを閲覧", "A provider read its links"],
  "subject.export": ["本人への開示（書き出し）", "Disclosure export"], "report.timeline": ["記録の時系列を閲覧", "Read a timeline"],
  "audit.provisions": ["第三者提供記録を閲覧", "Read the provision records"],
};
// Printed documents (case.print.DOC), and one person's records looked up (audit.LIST.person.PURPOSE).
const PRINTED = { consent_form: "printConsent", slip: "printSlip", letter: "printLetters", case: "printCase" };
// The purposes of looking up one person's records, as the API takes them, and the keys of their words.
export const PURPOSES = { inspection: "purposeInspection", disclosure_request: "purposeDisclosure", complaint: "purposeComplaint" };
export function accessName(code) {
  const s = ACCESS[code];
  if (s) return lang === "en" ? s[1] : s[0];
  const printed = /^case\.print\.(\w+)$/.exec(code || "");
  if (printed && PRINTED[printed[1]]) return t(PRINTED[printed[1]]);
  const looked = /^audit\.\w+\.person\.(\w+)$/.exec(code || "");
  if (looked && PURPOSES[looked[1]]) return `${t("personLookup")}（${t(PURPOSES[looked[1]])}）`;
  return code;
}

