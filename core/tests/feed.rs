//! The live feed's rules against a real SQLite file (the MLLP listener and a real client are in
//! `server/tests/feed.rs`): a message is stored where a filter takes it, once, and acknowledged
//! with what happened; a filter change is audited.

mod common;

use sieve_core::audit;
use sieve_core::feed::{self, Filter};
use sieve_core::pseudonym::Pseudonymizer;

fn oru(control: &str, facility: &str, accession: &str, exam: &str, modality: &str) -> String {
    format!(
        "MSH|^~\\&|RIS|{facility}|SIEVE|HOSP|202612061200||ORU^R01|{control}|P|2.5\r\
         PID|1||MRN7^^^HOSP^MR||DOE^JANE\r\
         OBR|1|PLC|{accession}^RIS|{exam}^EXAM|||20261206113000||||||||CHEST|||||||||{modality}|F\r\
         OBX|1|TX|IMP^Impression||Line one\nline two.||||||F\r"
    )
}

fn msa(ack: &feed::Ack) -> String {
    let text = String::from_utf8(ack.bytes.clone()).unwrap();
    text.split('\r')
        .find(|segment| segment.starts_with("MSA|"))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn reports_go_to_the_projects_whose_filter_takes_them_once_each() {
    let install = common::Install::new().await;
    let chest = install.project("Chest").await;
    let head = install.project("Head").await;
    install.project("Untouched").await;
    let feed =
        feed::Receiver::start(install.pool.clone(), Pseudonymizer::with_key([5; 32])).unwrap();
    let chest_filter = Filter {
        facilities: vec!["hosp".into()],
        exam_codes: vec![],
        modalities: vec!["CR".into(), " DX ".into()],
    };
    feed::set_filter(&install.pool, chest, Some(&chest_filter), "ada")
        .await
        .unwrap();
    let head_filter = Filter {
        exam_codes: vec!["CTHEAD".into()],
        ..Filter::default()
    };
    feed::set_filter(&install.pool, head, Some(&head_filter), "ada")
        .await
        .unwrap();

    let chest_x_ray = oru("M1", "HOSP", "A1", "CXR", "CR");
    let ack = feed.receive(chest_x_ray.as_bytes()).await;
    assert_eq!(
        (ack.code, msa(&ack)),
        ("AA", "MSA|AA|M1|stored".to_string())
    );
    let head_ct = oru("M2", "CLINIC", "A2", "CTHEAD", "CT");
    assert_eq!(feed.receive(head_ct.as_bytes()).await.code, "AA");
    let nobody = oru("M3", "CLINIC", "A3", "MRKNEE", "MR");
    let ack = feed.receive(nobody.as_bytes()).await;
    assert_eq!(
        msa(&ack),
        "MSA|AA|M3|no project takes this report; not stored"
    );
    let again = feed.receive(chest_x_ray.as_bytes()).await;
    assert_eq!(msa(&again), "MSA|AA|M1|stored before; not stored again");

    let in_project = |project: i64| {
        let pool = install.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT accession, report_text FROM reports WHERE project_id = ? ORDER BY id",
            )
            .bind(project)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        in_project(chest).await,
        [("A1".to_string(), "Line one\nline two.".to_string())]
    );
    assert_eq!(in_project(head).await.len(), 1);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&install.pool)
        .await
        .unwrap();
    assert_eq!(total, 2, "the unrouted report is not stored anywhere");
}

#[tokio::test]
async fn a_message_that_cannot_be_a_report_is_refused_with_its_reason_and_stores_nothing() {
    let install = common::Install::new().await;
    let project = install.project("Chest").await;
    feed::set_filter(&install.pool, project, Some(&Filter::default()), "ada")
        .await
        .unwrap();
    let feed =
        feed::Receiver::start(install.pool.clone(), Pseudonymizer::with_key([5; 32])).unwrap();
    let adt = oru("M9", "HOSP", "A9", "CXR", "CR").replace("ORU^R01", "ADT^A01");
    let ack = feed.receive(adt.as_bytes()).await;
    assert_eq!(ack.code, "AR");
    let text = String::from_utf8(ack.bytes.clone()).unwrap();
    assert!(
        text.contains("MSA|AR|M9|MSH-9: message type \"ADT\\S\\A01\" is not ORU\\S\\R01"),
        "{text}"
    );
    assert!(
        text.contains("ERR|||200^Unsupported message type^HL70357|E|"),
        "{text}"
    );
    let no_control_id = oru("", "HOSP", "A8", "CXR", "CR");
    let ack = feed.receive(no_control_id.as_bytes()).await;
    assert_eq!(ack.code, "AR");
    assert!(msa(&ack).contains("MSH-10"), "{}", msa(&ack));
    let bad_escape = oru("M7", "HOSP", "A7", "CXR", "CR").replace("Line one", "Line \\Q\\ one");
    let ack = feed.receive(bad_escape.as_bytes()).await;
    assert!(msa(&ack).contains("OBX-5 (line 4)"), "{}", msa(&ack));
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&install.pool)
        .await
        .unwrap();
    assert_eq!(total, 0);
}

#[tokio::test]
async fn a_filter_change_is_audited_in_words_and_removing_it_stops_the_feed() {
    let install = common::Install::new().await;
    let project = install.project("Chest").await;
    let filter = Filter {
        facilities: Filter::list("HOSP, CLINIC\n"),
        exam_codes: Filter::list(""),
        modalities: Filter::list("CR"),
    };
    feed::set_filter(&install.pool, project, Some(&filter), "ada")
        .await
        .unwrap();
    assert_eq!(
        feed::filter(&install.pool, project).await.unwrap(),
        Some(filter)
    );
    feed::set_filter(&install.pool, project, None, "ada")
        .await
        .unwrap();
    assert_eq!(feed::filter(&install.pool, project).await.unwrap(), None);
    let page = audit::search(&install.pool, &audit::Filter::default(), 0, 100)
        .await
        .unwrap();
    let details: Vec<String> = page
        .events
        .iter()
        .filter(|event| event.action == "feed_filter_set")
        .filter_map(|event| event.detail.clone())
        .collect();
    assert!(
        details.contains(
            &"takes the feed: sending facility HOSP, CLINIC; any exam code; modality CR"
                .to_string()
        ),
        "{details:?}"
    );
    assert!(details.contains(&"takes no reports from the feed".to_string()));
}

#[tokio::test]
async fn a_final_replaces_the_preliminary_a_late_preliminary_does_not_and_every_text_is_kept() {
    let install = common::Install::new().await;
    let project = install.project("Chest").await;
    feed::set_filter(&install.pool, project, Some(&Filter::default()), "ada")
        .await
        .unwrap();
    let feed =
        feed::Receiver::start(install.pool.clone(), Pseudonymizer::with_key([5; 32])).unwrap();
    let with = |control: &str, status: &str, text: &str| {
        oru(control, "HOSP", "A1", "CXR", "CR")
            .replace("Line one\nline two.", text)
            .replace("|CR|F\r", &format!("|CR|{status}\r"))
    };
    for (control, status, text) in [
        ("M1", "P", "PRELIMINARY: possible effusion."),
        ("M2", "F", "FINAL: small left effusion."),
        // Sent late, after the final: acknowledged, and the final stays.
        ("M0", "P", "PRELIMINARY: possible effusion, resent."),
        ("M3", "C", "CORRECTED: small right effusion."),
    ] {
        let ack = feed.receive(with(control, status, text).as_bytes()).await;
        assert_eq!(ack.code, "AA", "{control}");
        // The sender is told the late preliminary did not replace the final, not "stored".
        assert_eq!(
            msa(&ack).contains("the report stored before stays"),
            control == "M0",
            "{control}: {}",
            msa(&ack)
        );
    }
    let (text, status): (String, String) = sqlx::query_as(
        "SELECT report_text, result_status FROM reports WHERE project_id = ? AND accession = 'A1'",
    )
    .bind(project)
    .fetch_one(&install.pool)
    .await
    .unwrap();
    assert_eq!(
        (text.as_str(), status.as_str()),
        ("CORRECTED: small right effusion.", "C")
    );
    let revisions: Vec<(String, String)> =
        sqlx::query_as("SELECT report_text, result_status FROM report_revisions ORDER BY id")
            .fetch_all(&install.pool)
            .await
            .unwrap();
    assert_eq!(
        revisions,
        [
            (
                "PRELIMINARY: possible effusion.".to_string(),
                "P".to_string()
            ),
            ("FINAL: small left effusion.".to_string(), "F".to_string()),
        ]
    );
}

#[tokio::test]
async fn an_addendum_sent_alone_is_added_after_the_report_not_put_in_its_place() {
    let install = common::Install::new().await;
    let project = install.project("Chest").await;
    feed::set_filter(&install.pool, project, Some(&Filter::default()), "ada")
        .await
        .unwrap();
    let feed =
        feed::Receiver::start(install.pool.clone(), Pseudonymizer::with_key([5; 32])).unwrap();
    let with = |control: &str, status: &str, text: &str| {
        oru(control, "HOSP", "A1", "CXR", "CR")
            .replace("Line one\nline two.", text)
            .replace("|CR|F\r", &format!("|CR|{status}\r"))
    };
    for (control, status, text) in [
        ("M1", "F", "FINDINGS: small left effusion."),
        (
            "M2",
            "A",
            "ADDENDUM: compared with the prior study, unchanged.",
        ),
        // The same addendum again: not added twice.
        (
            "M2b",
            "A",
            "ADDENDUM: compared with the prior study, unchanged.",
        ),
    ] {
        let ack = feed.receive(with(control, status, text).as_bytes()).await;
        assert_eq!(ack.code, "AA", "{control}");
    }
    let text: String = sqlx::query_scalar("SELECT report_text FROM reports WHERE accession = 'A1'")
        .fetch_one(&install.pool)
        .await
        .unwrap();
    assert_eq!(
        text,
        "FINDINGS: small left effusion.\n\nADDENDUM: compared with the prior study, unchanged."
    );
}

#[test]
fn a_filter_value_that_could_match_nothing_is_refused_naming_it() {
    let typed = Filter::typed("St Mary, HOSP", "CXR2V,\nCTHEAD", " CR , ct ").unwrap();
    assert_eq!(typed.facilities, ["St Mary", "HOSP"]);
    assert_eq!(typed.exam_codes, ["CXR2V", "CTHEAD"]);
    assert_eq!(typed.modalities, ["CR", "ct"]);
    let run_together = Filter::typed("", "", "CR CT").unwrap_err().to_string();
    assert!(
        run_together.contains("Modalities: “CR CT” holds a space"),
        "{run_together}"
    );
    let whole_field = Filter::typed("", "CXR2V^XR CHEST 2 VIEWS", "")
        .unwrap_err()
        .to_string();
    assert!(
        whole_field.contains("Exam codes: “CXR2V^XR CHEST 2 VIEWS” holds “^”"),
        "{whole_field}"
    );
}

#[tokio::test]
async fn a_control_id_used_again_for_another_report_is_stored_and_counts_tell_what_happened() {
    let install = common::Install::new().await;
    let project = install.project("Chest").await;
    feed::set_filter(&install.pool, project, Some(&Filter::default()), "ada")
        .await
        .unwrap();
    let feed =
        feed::Receiver::start(install.pool.clone(), Pseudonymizer::with_key([5; 32])).unwrap();
    let first = oru("C1", "HOSP", "A1", "CXR", "CR");
    assert_eq!(
        msa(&feed.receive(first.as_bytes()).await),
        "MSA|AA|C1|stored"
    );
    // The interface engine restarted and numbers its messages from 1 again: another report.
    let other = oru("C1", "HOSP", "A2", "CXR", "CR");
    assert_eq!(
        msa(&feed.receive(other.as_bytes()).await),
        "MSA|AA|C1|stored"
    );
    // The first, sent again: stored once.
    assert_eq!(
        msa(&feed.receive(first.as_bytes()).await),
        "MSA|AA|C1|stored before; not stored again"
    );
    let accessions: Vec<String> =
        sqlx::query_scalar("SELECT accession FROM reports ORDER BY accession")
            .fetch_all(&install.pool)
            .await
            .unwrap();
    assert_eq!(accessions, ["A1", "A2"]);
    // A late preliminary is counted as kept, not stored; an order cancelled (X) is refused.
    let late = oru("C2", "HOSP", "A1", "CXR", "CR").replace("|CR|F\r", "|CR|P\r");
    assert_eq!(feed.receive(late.as_bytes()).await.code, "AA");
    let cancelled = oru("C3", "HOSP", "A3", "CXR", "CR").replace("|CR|F\r", "|CR|X\r");
    let ack = feed.receive(cancelled.as_bytes()).await;
    assert_eq!(ack.code, "AR");
    assert!(
        msa(&ack).contains("OBR-25: result status \"X\""),
        "{}",
        msa(&ack)
    );
    let counts: Vec<(String, i64)> = feed::counts(&install.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|count| (count.outcome, count.messages))
        .collect();
    assert_eq!(
        counts,
        [
            ("kept".to_string(), 1),
            ("refused".to_string(), 1),
            ("resent".to_string(), 1),
            ("stored".to_string(), 2)
        ]
    );
}
