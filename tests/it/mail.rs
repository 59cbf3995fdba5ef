//! Mail against a real SMTP server on loopback: `mailin-embedded`, an SMTP implementation
//! (not a mock of lettre's transport), started by each test on a port of its own. What the
//! server receives is parsed back with `mail-parser`.
//!
//! Delivery: both MIME parts and the headers; one email per idempotency key; two senders
//! at once; a server that is down and then returns; a sender (the real binary, SIGKILLed)
//! that dies between claiming and sending; temporary and permanent refusals; the admin
//! page's counts, errors and retry; the `.eml` file back-end; and the configuration as the
//! binary reads it.

use std::{
    io,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use mail_parser::{MessageParser, PartType};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use prospector::{
    config::SmtpUrl,
    mail::{
        Mailer, Sender, SenderIdentity,
        outbox::{self, NewMail},
        sender::{LEASE, MAX_ATTEMPTS},
        transport::message_id,
    },
    scheduler::Scheduler,
};
use reqwest::StatusCode;
use sqlx::{ConnectOptions as _, PgPool, postgres::PgPoolOptions};
use time::OffsetDateTime;

use crate::support::org::{ADMIN, RITA, org};

// --- A real SMTP server ----------------------------------------------------------------

/// A message as the server received it.
#[derive(Clone, Debug)]
struct Received {
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

/// What the server does with a recipient, by the start of the address: `bounce…` is
/// refused for good (550), `busy…` for now (452), `stall…` is not answered (by a server
/// started with [`SmtpServer::start_stalling`]); anyone else is accepted.
#[derive(Clone)]
struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
    stalls: bool,
    stalled: Arc<AtomicBool>,
    current: Option<Received>,
}

impl Handler for Recorder {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.starts_with("bounce") {
            response::NO_MAILBOX
        } else if to.starts_with("busy") {
            response::OUT_OF_SPACE
        } else if self.stalls && to.starts_with("stall") {
            self.stalled.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(120));
            response::NO_SERVICE
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mut received = self.received.lock().unwrap();
        if let Some(current) = self.current.take() {
            received.push(current);
        }
        Response::custom(250, format!("2.0.0 Ok: queued as test-{}", received.len()))
    }
}

struct SmtpServer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stalled: Arc<AtomicBool>,
}

impl SmtpServer {
    /// A server on a free loopback port.
    fn start() -> SmtpServer {
        SmtpServer::start_on(free_port())
    }

    /// A server that leaves `stall…` recipients without an answer for two minutes.
    fn start_stalling() -> SmtpServer {
        SmtpServer::serve(free_port(), true)
    }

    /// A server on `listener`. It runs on its own threads until the test binary exits.
    fn start_on(listener: TcpListener) -> SmtpServer {
        SmtpServer::serve(listener, false)
    }

    fn serve(listener: TcpListener, stalls: bool) -> SmtpServer {
        let addr = listener.local_addr().expect("the listener's address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stalled = Arc::new(AtomicBool::new(false));
        let recorder = Recorder {
            received: received.clone(),
            stalls,
            stalled: stalled.clone(),
            current: None,
        };
        let mut server = Server::new(recorder);
        server
            .with_name("smtp.test")
            // Each sender keeps a pool of connections, one session thread each.
            .with_num_threads(64)
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(err) = server.serve() {
                eprintln!("the test SMTP server stopped: {err}");
            }
        });
        SmtpServer {
            addr,
            received,
            stalled,
        }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn free_port() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind a loopback port")
}

/// A loopback address where nothing listens (until a server is started on it).
fn unused_addr() -> SocketAddr {
    free_port().local_addr().expect("the listener's address")
}

// --- Helpers -----------------------------------------------------------------------------

const DOMAIN: &str = "prospector.test";

fn identity() -> SenderIdentity {
    SenderIdentity {
        from: "Prospector <prospector@localhost>".parse().unwrap(),
        message_id_domain: DOMAIN.to_owned(),
    }
}

fn smtp_sender(pool: &PgPool, url: &str) -> Sender {
    let url = SmtpUrl::parse(url).expect("a valid SMTP URL");
    let mailer = Mailer::smtp(&url).expect("an SMTP transport");
    Sender::new(pool.clone(), mailer, identity())
}

fn new_mail(key: &str, to: &str) -> NewMail {
    NewMail {
        idempotency_key: key.to_owned(),
        kind: "agenda",
        user_id: None,
        to_address: to.to_owned(),
        to_name: "Rita Rep".to_owned(),
        subject: "Your day: 3 touches, 1 overdue".to_owned(),
        body_text: "Good morning Rita,\n\nCall Zoë at Café Noir.\n".to_owned(),
        body_html: "<p>Good morning Rita,</p><p>Call <strong>Zoë</strong> at Café Noir.</p>"
            .to_owned(),
    }
}

async fn queue(pool: &PgPool, key: &str, to: &str) -> bool {
    outbox::enqueue(pool, &new_mail(key, to))
        .await
        .expect("enqueue")
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    status: String,
    attempts: i32,
    next_attempt_at: OffsetDateTime,
    leased_until: Option<OffsetDateTime>,
    last_error: Option<String>,
    server_response: Option<String>,
    sent_at: Option<OffsetDateTime>,
}

async fn row(pool: &PgPool, key: &str) -> Row {
    sqlx::query_as(
        "select id, status::text as status, attempts, next_attempt_at, leased_until, last_error,
                server_response, sent_at
         from mail_outbox where idempotency_key = $1",
    )
    .bind(key)
    .fetch_one(pool)
    .await
    .expect("the outbox row")
}

async fn count_status(pool: &PgPool, status: &str) -> i64 {
    sqlx::query_scalar("select count(*) from mail_outbox where status::text = $1")
        .bind(status)
        .fetch_one(pool)
        .await
        .expect("count")
}

/// The Message-IDs received, each once, or a panic naming the one received twice.
fn distinct_message_ids(received: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| {
            let parsed = MessageParser::default()
                .parse(&r.data)
                .expect("a parseable message");
            parsed.message_id().expect("a Message-ID").to_owned()
        })
        .collect();
    ids.sort();
    for pair in ids.windows(2) {
        assert_ne!(pair[0], pair[1], "a message was received twice");
    }
    ids
}

/// Checks that `raw` is the message `new_mail(key, to)` should become.
fn assert_is_the_message(raw: &[u8], key: &str, to: &str) {
    let mail = new_mail(key, to);
    let parsed = MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    assert_eq!(parsed.subject(), Some(mail.subject.as_str()));
    let from = parsed.from().and_then(|a| a.first()).expect("a From");
    assert_eq!(from.address(), Some("prospector@localhost"));
    assert_eq!(from.name(), Some("Prospector"));
    let recipient = parsed.to().and_then(|a| a.first()).expect("a To");
    assert_eq!(recipient.address(), Some(to));
    assert_eq!(recipient.name(), Some("Rita Rep"));
    let expected_id = message_id(key, DOMAIN);
    assert_eq!(
        parsed.message_id(),
        Some(expected_id.trim_matches(['<', '>'])),
        "the Message-ID is derived from the idempotency key"
    );
    assert!(parsed.date().is_some(), "a Date");
    assert_eq!(
        parsed.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    assert_eq!(
        parsed.header_raw("X-Prospector-Kind").map(str::trim),
        Some("agenda")
    );
    assert!(
        parsed
            .header_raw("Content-Type")
            .is_some_and(|v| v.contains("multipart/alternative")),
        "{:?}",
        parsed.header_raw("Content-Type")
    );
    let texts: Vec<&str> = parsed
        .parts
        .iter()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.as_ref()),
            _ => None,
        })
        .collect();
    let htmls: Vec<&str> = parsed
        .parts
        .iter()
        .filter_map(|part| match &part.body {
            PartType::Html(html) => Some(html.as_ref()),
            _ => None,
        })
        .collect();
    // Text travels in its canonical form, with CRLF line ends.
    let texts: Vec<String> = texts.iter().map(|t| t.replace("\r\n", "\n")).collect();
    assert_eq!(texts, [mail.body_text.as_str()], "one text part, as queued");
    assert_eq!(htmls, [mail.body_html.as_str()], "one HTML part, as queued");
}

/// A pool of its own, as another server instance would have.
async fn instance_pool(pool: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with((*pool.connect_options()).clone())
        .await
        .expect("a second pool")
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

// --- Delivery ----------------------------------------------------------------------------

#[sqlx::test]
async fn a_queued_message_is_delivered_with_both_parts_and_its_headers(pool: PgPool) {
    let server = SmtpServer::start();
    assert!(queue(&pool, "agenda:1:2026-11-23", "rita@example.com").await);

    let report = smtp_sender(&pool, &server.url())
        .deliver_due(now())
        .await
        .expect("deliver");
    assert_eq!((report.sent, report.retrying, report.failed), (1, 0, 0));

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "prospector@localhost");
    assert_eq!(received[0].to, ["rita@example.com"]);
    assert_is_the_message(&received[0].data, "agenda:1:2026-11-23", "rita@example.com");

    let row = row(&pool, "agenda:1:2026-11-23").await;
    assert_eq!(row.status, "sent");
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());
    assert!(row.leased_until.is_none());
    let answer = row.server_response.expect("the server's answer");
    assert!(
        answer.starts_with("250") && answer.contains("queued as test-1"),
        "{answer}"
    );
}

#[sqlx::test]
async fn one_idempotency_key_sends_one_email(pool: PgPool) {
    let server = SmtpServer::start();
    assert!(queue(&pool, "agenda:1:2026-11-23", "rita@example.com").await);
    assert!(
        !queue(&pool, "agenda:1:2026-11-23", "rita@example.com").await,
        "the second is refused"
    );
    let sender = smtp_sender(&pool, &server.url());
    assert_eq!(sender.deliver_due(now()).await.unwrap().sent, 1);
    // Queued again after it was sent: still refused, still one email.
    assert!(!queue(&pool, "agenda:1:2026-11-23", "rita@example.com").await);
    assert!(sender.deliver_due(now()).await.unwrap().is_empty());
    assert_eq!(server.received().len(), 1);

    // A message queued in a transaction that rolls back was never queued.
    let mut tx = pool.begin().await.unwrap();
    outbox::enqueue(
        &mut *tx,
        &new_mail("agenda:1:2026-11-24", "rita@example.com"),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(sender.deliver_due(now()).await.unwrap().is_empty());
    assert_eq!(server.received().len(), 1);
}

#[sqlx::test]
async fn two_senders_at_once_send_each_message_once(pool: PgPool) {
    let server = SmtpServer::start();
    for n in 0..50 {
        queue(&pool, &format!("race:{n}"), &format!("rep{n}@example.com")).await;
    }
    let (pool_a, pool_b) = (instance_pool(&pool).await, instance_pool(&pool).await);
    let a = smtp_sender(&pool_a, &server.url());
    let b = smtp_sender(&pool_b, &server.url());
    let at = now();
    let (ra, rb) = tokio::join!(a.deliver_due(at), b.deliver_due(at));
    let (ra, rb) = (ra.expect("sender a"), rb.expect("sender b"));
    eprintln!("sender a: {ra}; sender b: {rb}");
    assert_eq!(ra.sent + rb.sent, 50);
    assert_eq!(ra.leases_lost + rb.leases_lost, 0);

    let received = server.received();
    assert_eq!(received.len(), 50, "every message, once");
    assert_eq!(distinct_message_ids(&received).len(), 50);
    assert_eq!(count_status(&pool, "sent").await, 50);
    let claimed_twice: i64 =
        sqlx::query_scalar("select count(*) from mail_outbox where attempts <> 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(claimed_twice, 0);
    pool_a.close().await;
    pool_b.close().await;
}

#[sqlx::test]
async fn a_server_that_is_down_and_returns_gets_every_message_once(pool: PgPool) {
    let addr = unused_addr();
    let sender = smtp_sender(&pool, &format!("smtp://{addr}"));
    for n in 0..20 {
        queue(
            &pool,
            &format!("outage:{n}"),
            &format!("rep{n}@example.com"),
        )
        .await;
    }

    let down = now();
    let report = sender.deliver_due(down).await.expect("deliver");
    assert_eq!((report.sent, report.retrying, report.failed), (0, 20, 0));
    for n in 0..20 {
        let row = row(&pool, &format!("outage:{n}")).await;
        assert_eq!(row.status, "queued");
        assert_eq!(row.attempts, 1);
        assert!(row.leased_until.is_none());
        let error = row.last_error.expect("the error is recorded");
        assert!(error.to_lowercase().contains("connection"), "{error}");
        // 30 s, give or take the jitter.
        let wait = (row.next_attempt_at - down).whole_seconds();
        assert!((23..=37).contains(&wait), "next attempt in {wait} s");
    }
    // Nothing is due before the backoff ends.
    assert!(sender.deliver_due(down).await.unwrap().is_empty());
    assert_eq!(
        sender.next_due().await.unwrap().map(|at| at > down),
        Some(true)
    );

    let server = SmtpServer::start_on(TcpListener::bind(addr).expect("the port again"));
    let report = sender
        .deliver_due(down + Duration::from_secs(60))
        .await
        .expect("deliver");
    assert_eq!((report.sent, report.retrying, report.failed), (20, 0, 0));
    assert!(
        sender
            .deliver_due(down + Duration::from_secs(3600))
            .await
            .unwrap()
            .is_empty()
    );

    let received = server.received();
    assert_eq!(received.len(), 20, "none lost, none doubled");
    assert_eq!(distinct_message_ids(&received).len(), 20);
    assert_eq!(count_status(&pool, "sent").await, 20);
    assert_eq!(sender.next_due().await.unwrap(), None);
}

#[sqlx::test]
async fn a_claimed_message_whose_sender_vanished_is_sent_after_the_lease(pool: PgPool) {
    let server = SmtpServer::start();
    queue(&pool, "orphan", "rita@example.com").await;
    let at = now();
    // A sender claims the message, then dies without sending it.
    let claimed = outbox::claim(&pool, at, at + LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    drop(claimed);

    let other = smtp_sender(&pool, &server.url());
    let held = other
        .deliver_due(at + Duration::from_secs(60))
        .await
        .unwrap();
    assert!(held.is_empty(), "the lease keeps it from others: {held}");
    assert!(server.received().is_empty());

    let report = other
        .deliver_due(at + LEASE + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(server.received().len(), 1);
    let row = row(&pool, "orphan").await;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
}

#[sqlx::test]
async fn the_scheduler_loop_delivers_mail_as_soon_as_it_is_queued(pool: PgPool) {
    let server = SmtpServer::start();
    let scheduler = Scheduler::new(pool.clone()).with_mail(smtp_sender(&pool, &server.url()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(scheduler.run(async move {
        let _ = stopped.await;
    }));
    // Let the first pass find nothing; from then on only a notification wakes it.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut tx = pool.begin().await.unwrap();
    outbox::enqueue(&mut *tx, &new_mail("loop:1", "rita@example.com"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.received().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queued message was not sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the scheduler stops")
        .expect("the scheduler task");
    assert_eq!(row(&pool, "loop:1").await.status, "sent");
}

// --- Failures ----------------------------------------------------------------------------

#[sqlx::test]
async fn temporary_refusals_back_off_until_the_limit_then_fail(pool: PgPool) {
    let server = SmtpServer::start();
    let sender = smtp_sender(&pool, &server.url());
    queue(&pool, "busy", "busy@example.com").await;
    let mut at = now();
    let mut waits = Vec::new();
    for attempt in 1..=MAX_ATTEMPTS {
        let report = sender.deliver_due(at).await.unwrap();
        let row = row(&pool, "busy").await;
        assert_eq!(row.attempts, attempt);
        assert!(
            row.last_error.as_deref().unwrap_or("").contains("452"),
            "{row:?}"
        );
        if attempt < MAX_ATTEMPTS {
            assert_eq!(report.retrying, 1, "attempt {attempt}: {report}");
            assert_eq!(row.status, "queued");
            waits.push((row.next_attempt_at - at).whole_seconds());
            at = row.next_attempt_at + Duration::from_secs(1);
        } else {
            assert_eq!(report.failed, 1, "attempt {attempt}: {report}");
            assert_eq!(row.status, "failed");
        }
    }
    eprintln!("waits between attempts (s): {waits:?}");
    // Roughly doubling (±20% jitter each) up to the hour.
    assert!(waits[1] > waits[0] && waits[3] > waits[2], "{waits:?}");
    assert!(waits.iter().all(|&w| w <= 3600 * 12 / 10), "{waits:?}");
    assert!(server.received().is_empty());
}

#[sqlx::test]
async fn a_permanent_refusal_fails_at_once_and_the_admin_page_shows_and_retries_it(pool: PgPool) {
    let server = SmtpServer::start();
    let org = org(pool.clone()).await;
    let sender = smtp_sender(&pool, &server.url());
    queue(&pool, "bounce", "bounce@example.com").await;
    queue(&pool, "fine", "rita@example.com").await;
    let report = sender.deliver_due(now()).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1), "{report}");
    let failed = row(&pool, "bounce").await;
    assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 1));
    let error = failed.last_error.clone().expect("the server's refusal");
    assert!(error.contains("550"), "{error}");

    // Only admins see the page.
    let rep = org.app.signed_in(RITA).await;
    assert_eq!(rep.get("/admin/mail").await.status, StatusCode::NOT_FOUND);
    let admin = org.app.signed_in(ADMIN).await;
    let page = admin.get("/admin/mail").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.text("#mail-failed").as_deref(), Some("1"));
    assert_eq!(page.text("#mail-sent").as_deref(), Some("1"));
    assert_eq!(page.text("#mail-queued").as_deref(), Some("0"));
    let failed_row = page
        .text(&format!("#failed #mail-{}", failed.id))
        .expect("the failed message is listed");
    assert!(failed_row.contains("bounce@example.com"), "{failed_row}");
    assert!(failed_row.contains("550"), "{failed_row}");
    assert!(page.exists(&format!("#sent #mail-{}", row(&pool, "fine").await.id)));

    // Retry: queued again, due now, with a fresh allowance of attempts.
    let retried = admin
        .post_form::<&str, &str>(&format!("/admin/mail/{}/retry", failed.id), &[])
        .await;
    assert_eq!(retried.location(), Some("/admin/mail"), "{}", retried.body);
    let requeued = row(&pool, "bounce").await;
    assert_eq!((requeued.status.as_str(), requeued.attempts), ("queued", 0));
    let page = admin.get("/admin/mail").await;
    assert!(page.body.contains("is queued again"), "{}", page.body);
    assert_eq!(page.text("#mail-failed").as_deref(), Some("0"));
    assert_eq!(page.text("#mail-queued").as_deref(), Some("1"));
    // The retry is attempted (and refused again, as the address still bounces).
    let report = sender
        .deliver_due(now() + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(report.failed, 1, "{report}");

    // Retrying what is not failed changes nothing; an unknown id is not found.
    let fine = row(&pool, "fine").await;
    let again = admin
        .post_form::<&str, &str>(&format!("/admin/mail/{}/retry", fine.id), &[])
        .await;
    assert_eq!(again.location(), Some("/admin/mail"));
    assert_eq!(row(&pool, "fine").await.status, "sent");
    let missing = admin
        .post_form::<&str, &str>("/admin/mail/999999/retry", &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // A rep cannot retry.
    let forbidden = rep
        .post_form::<&str, &str>(&format!("/admin/mail/{}/retry", failed.id), &[])
        .await;
    assert_eq!(forbidden.status, StatusCode::NOT_FOUND);
    assert_eq!(server.received().len(), 1);
}

// --- Without SMTP ------------------------------------------------------------------------

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "prospector-mail-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            now().unix_timestamp_nanos()
        ));
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[sqlx::test]
async fn without_smtp_each_message_is_written_as_a_parseable_eml_file(pool: PgPool) {
    let dir = TempDir::new();
    let mailer = Mailer::files(dir.0.join("mail-out"));
    assert!(
        mailer.describe().contains("mail-out as .eml files"),
        "{}",
        mailer.describe()
    );
    let sender = Sender::new(pool.clone(), mailer, identity());
    assert!(
        sender.deliver_due(now()).await.unwrap().is_empty(),
        "no mail, no directory"
    );
    assert!(!dir.0.join("mail-out").exists());

    queue(&pool, "file:1", "rita@example.com").await;
    assert_eq!(sender.deliver_due(now()).await.unwrap().sent, 1);
    let files = eml_files(&dir.0.join("mail-out"));
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    assert_is_the_message(&raw, "file:1", "rita@example.com");
    let row = row(&pool, "file:1").await;
    assert_eq!(row.status, "sent");
    let answer = row.server_response.unwrap();
    assert!(answer.contains(&files[0].display().to_string()), "{answer}");
}

#[sqlx::test]
async fn the_memory_back_end_keeps_what_it_sends(pool: PgPool) {
    let (mailer, sent) = Mailer::memory();
    let sender = Sender::new(pool.clone(), mailer, identity());
    queue(&pool, "memory:1", "rita@example.com").await;
    assert_eq!(sender.deliver_due(now()).await.unwrap().sent, 1);
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_is_the_message(&sent[0].formatted(), "memory:1", "rita@example.com");
    assert_eq!(row(&pool, "memory:1").await.status, "sent");
}

// --- The binary --------------------------------------------------------------------------

const COOKIE_KEY: &str =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

fn prospector(pool: &PgPool, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prospector"));
    command
        .args(args)
        .env_clear()
        .env("PROSPECTOR_ENV", "production")
        .env("PROSPECTOR_COOKIE_KEY", COOKIE_KEY)
        .env("PROSPECTOR_ADDR", "127.0.0.1:0")
        .env(
            "DATABASE_URL",
            pool.connect_options().to_url_lossy().to_string(),
        )
        .env("RUST_LOG", "prospector=info")
        .envs(vars.iter().copied());
    command
}

fn run(pool: &PgPool, args: &[&str], vars: &[(&str, &str)]) -> Output {
    prospector(pool, args, vars)
        .output()
        .expect("run the prospector binary")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A running `prospector` process, killed (if still running) and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[sqlx::test]
async fn worker_once_sends_through_smtp_url(pool: PgPool) {
    let server = SmtpServer::start();
    queue(&pool, "cli:1", "rita@example.com").await;
    let output = run(
        &pool,
        &["worker", "--once"],
        &[
            ("SMTP_URL", &server.url()),
            ("PROSPECTOR_MAIL_FROM", "Prospector <prospector@localhost>"),
            ("PROSPECTOR_BASE_URL", "https://prospector.test"),
        ],
    );
    let log = text(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains(&format!("mail is sent through {}", server.url())),
        "{log}"
    );
    assert!(log.contains("1 emails sent"), "{log}");
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_is_the_message(&received[0].data, "cli:1", "rita@example.com");
}

#[sqlx::test]
async fn without_smtp_url_the_binary_writes_eml_files_and_says_where(pool: PgPool) {
    let dir = TempDir::new();
    let mail_dir = dir.0.join("out");
    queue(&pool, "cli:2", "rita@example.com").await;
    let output = run(
        &pool,
        &["worker", "--once"],
        &[("PROSPECTOR_MAIL_DIR", mail_dir.to_str().unwrap())],
    );
    let log = text(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains(&format!(
            "mail is written to {} as .eml files (set SMTP_URL to send it)",
            mail_dir.display()
        )),
        "{log}"
    );
    assert_eq!(eml_files(&mail_dir).len(), 1);
}

#[sqlx::test]
async fn a_malformed_smtp_url_stops_start_up_naming_it(pool: PgPool) {
    for url in [
        "mail.example.com:25",
        "smtp://mail.example.com?tls=sometimes",
    ] {
        let output = run(&pool, &["worker", "--once"], &[("SMTP_URL", url)]);
        assert!(!output.status.success(), "{url}");
        let log = text(&output);
        assert!(log.contains("SMTP_URL"), "{url}: {log}");
    }
}

#[sqlx::test]
async fn a_worker_killed_between_claim_and_send_leaves_the_message_for_after_the_lease(
    pool: PgPool,
) {
    // This server never answers RCPT for `stall…`: the worker has claimed the message and
    // is in the middle of sending it when it is killed.
    let stalling = SmtpServer::start_stalling();
    queue(&pool, "killed", "stall@example.com").await;
    let mut worker = Running(
        prospector(&pool, &["worker"], &[("SMTP_URL", &stalling.url())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the worker"),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !stalling.stalled.load(Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never got to sending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.0.kill().expect("SIGKILL the worker");
    worker.0.wait().expect("reap the worker");
    let killed_at = now();

    let row_after_kill = row(&pool, "killed").await;
    assert_eq!(row_after_kill.status, "queued");
    assert_eq!(row_after_kill.attempts, 1);
    let lease = row_after_kill.leased_until.expect("still leased");
    assert!(lease > killed_at, "the lease outlives the worker");

    // Another sender (to a server that answers) leaves it alone until the lease ends…
    let server = SmtpServer::start();
    let other = smtp_sender(&pool, &server.url());
    assert!(other.deliver_due(killed_at).await.unwrap().is_empty());
    // …and then sends it, once.
    let report = other
        .deliver_due(lease + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report}");
    assert_eq!(server.received().len(), 1);
    assert!(stalling.received().is_empty());
    let row = row(&pool, "killed").await;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
}
