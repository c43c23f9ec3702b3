//! The files of a label set. CSV and Parquet share one flat layout — the study's columns, then per
//! question its label, the label's source and its agreement — and JSON lines nests the labels per
//! question. `texts.jsonl` carries the report text for text baselines.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, ConvertedType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Cell, Manifest, QuestionEntry, Row};
use crate::{Error, Result};

pub const MANIFEST: &str = "manifest.json";
pub const CSV: &str = "labels.csv";
pub const JSONL: &str = "labels.jsonl";
pub const PARQUET: &str = "labels.parquet";
pub const TEXTS: &str = "texts.jsonl";

/// A file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The SHA-256 of a file, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

/// Writes the label files into `dir` and returns their manifest entries.
pub fn write_labels(
    dir: &Path,
    questions: &[QuestionEntry],
    rows: &[Row],
) -> Result<Vec<FileEntry>> {
    write_csv(&dir.join(CSV), questions, rows)?;
    write_jsonl(&dir.join(JSONL), questions, rows)?;
    write_parquet(&dir.join(PARQUET), questions, rows)?;
    [CSV, JSONL, PARQUET]
        .iter()
        .map(|name| entry(dir, name))
        .collect()
}

/// The manifest entry of a file written into `dir`.
pub fn entry(dir: &Path, name: &str) -> Result<FileEntry> {
    let path = dir.join(name);
    Ok(FileEntry {
        name: name.to_string(),
        bytes: std::fs::metadata(&path)?.len(),
        sha256: sha256_file(&path)?,
    })
}

/// The flat layout's column names.
fn columns(questions: &[QuestionEntry]) -> Vec<String> {
    let mut names: Vec<String> = ["study_id", "patient_id", "study_date", "image_uri", "split"]
        .map(String::from)
        .into();
    for question in questions {
        names.push(question.name.clone());
        names.push(format!("{}_source", question.name));
        names.push(format!("{}_agreement", question.name));
    }
    names
}

fn write_csv(path: &Path, questions: &[QuestionEntry], rows: &[Row]) -> Result<()> {
    let mut out = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
    let failed = |error: csv::Error| Error::Internal(format!("{CSV}: {error}"));
    out.write_record(columns(questions)).map_err(failed)?;
    for row in rows {
        let mut record = vec![
            row.study_id.clone(),
            row.patient_id.clone(),
            row.study_date.clone(),
            row.image_uri.clone().unwrap_or_default(),
            row.split.as_str().to_string(),
        ];
        for cell in &row.labels {
            match cell {
                Some(cell) => record.extend([
                    cell.label.clone(),
                    cell.source.name().to_string(),
                    cell.agreement.map(|a| a.to_string()).unwrap_or_default(),
                ]),
                None => record.extend([String::new(), String::new(), String::new()]),
            }
        }
        out.write_record(&record).map_err(failed)?;
    }
    out.flush()?;
    Ok(())
}

/// One line of `labels.jsonl`.
#[derive(Serialize, Deserialize)]
struct JsonRow<'a> {
    study_id: std::borrow::Cow<'a, str>,
    patient_id: std::borrow::Cow<'a, str>,
    study_date: std::borrow::Cow<'a, str>,
    image_uri: Option<std::borrow::Cow<'a, str>>,
    split: std::borrow::Cow<'a, str>,
    /// Question name → its label; questions without a label are left out.
    labels: BTreeMap<std::borrow::Cow<'a, str>, Cell>,
}

fn write_jsonl(path: &Path, questions: &[QuestionEntry], rows: &[Row]) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for row in rows {
        let line = JsonRow {
            study_id: (&row.study_id).into(),
            patient_id: (&row.patient_id).into(),
            study_date: (&row.study_date).into(),
            image_uri: row.image_uri.as_deref().map(Into::into),
            split: row.split.as_str().into(),
            labels: questions
                .iter()
                .zip(&row.labels)
                .filter_map(|(question, cell)| {
                    cell.clone()
                        .map(|cell| (question.name.as_str().into(), cell))
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &line).expect("rows serialise");
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Appends the lines of `texts.jsonl` for `rows`, with their reports' texts by report id.
pub fn append_texts(
    out: &mut impl Write,
    rows: &[Row],
    texts: &HashMap<u32, String>,
) -> Result<()> {
    for row in rows {
        let text = u32::try_from(row.report_id)
            .ok()
            .and_then(|id| texts.get(&id))
            .map_or("", String::as_str);
        let line = serde_json::json!({ "study_id": row.study_id, "text": text });
        serde_json::to_writer(&mut *out, &line).expect("texts serialise");
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn text_column(name: &str, required: bool) -> Result<Arc<Type>> {
    let repetition = match required {
        true => Repetition::REQUIRED,
        false => Repetition::OPTIONAL,
    };
    Ok(Arc::new(
        Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
            .with_converted_type(ConvertedType::UTF8)
            .with_repetition(repetition)
            .build()
            .map_err(parquet_error)?,
    ))
}

fn parquet_error(error: parquet::errors::ParquetError) -> Error {
    Error::Internal(format!("{PARQUET}: {error}"))
}

/// One column's values: `None` is a missing value.
enum Values {
    Text(Vec<Option<String>>),
    Number(Vec<Option<f64>>),
}

fn column_values(questions: &[QuestionEntry], rows: &[Row]) -> Vec<Values> {
    let text = |get: &dyn Fn(&Row) -> Option<String>| Values::Text(rows.iter().map(get).collect());
    let mut values = vec![
        text(&|row| Some(row.study_id.clone())),
        text(&|row| Some(row.patient_id.clone())),
        text(&|row| Some(row.study_date.clone())),
        text(&|row| row.image_uri.clone()),
        text(&|row| Some(row.split.as_str().to_string())),
    ];
    for at in 0..questions.len() {
        let cell = |row: &Row| row.labels[at].clone();
        values.push(text(&|row| cell(row).map(|c| c.label)));
        values.push(text(&|row| cell(row).map(|c| c.source.name().to_string())));
        values.push(Values::Number(
            rows.iter()
                .map(|row| cell(row).and_then(|c| c.agreement))
                .collect(),
        ));
    }
    values
}

fn write_parquet(path: &Path, questions: &[QuestionEntry], rows: &[Row]) -> Result<()> {
    let names = columns(questions);
    let values = column_values(questions, rows);
    let fields = names
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(at, (name, values))| match values {
            Values::Text(_) => text_column(name, at != 3 && at < 5),
            Values::Number(_) => Ok(Arc::new(
                Type::primitive_type_builder(name, PhysicalType::DOUBLE)
                    .with_repetition(Repetition::OPTIONAL)
                    .build()
                    .map_err(parquet_error)?,
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let schema = Arc::new(
        Type::group_type_builder("label_set")
            .with_fields(fields)
            .build()
            .map_err(parquet_error)?,
    );
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = File::create(path)?;
    let mut writer = SerializedFileWriter::new(file, schema, properties).map_err(parquet_error)?;
    let mut group = writer.next_row_group().map_err(parquet_error)?;
    let mut columns = values.iter();
    while let Some(mut column) = group.next_column().map_err(parquet_error)? {
        let values = columns.next().expect("one value list per column");
        write_column(&mut column, values).map_err(parquet_error)?;
        column.close().map_err(parquet_error)?;
    }
    group.close().map_err(parquet_error)?;
    writer.close().map_err(parquet_error)?;
    Ok(())
}

fn write_column(
    column: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    values: &Values,
) -> parquet::errors::Result<usize> {
    // Definition level 1: the value is there; 0: missing (required columns ignore the levels).
    match values {
        Values::Text(all) => {
            let levels: Vec<i16> = all.iter().map(|v| i16::from(v.is_some())).collect();
            let present: Vec<ByteArray> = all
                .iter()
                .flatten()
                .map(|v| ByteArray::from(v.as_str()))
                .collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&present, Some(&levels), None)
        }
        Values::Number(all) => {
            let levels: Vec<i16> = all.iter().map(|v| i16::from(v.is_some())).collect();
            let present: Vec<f64> = all.iter().flatten().copied().collect();
            column
                .typed::<DoubleType>()
                .write_batch(&present, Some(&levels), None)
        }
    }
}

/// A study of a label set as read back: its split and its label per question name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyEntry {
    pub split: String,
    pub labels: BTreeMap<String, String>,
}

/// A label set's studies as read back, by study id.
pub type StudyLabels = HashMap<String, StudyEntry>;

/// Reads `labels.jsonl` back.
pub fn read_labels(dir: &Path, manifest: &Manifest) -> Result<StudyLabels> {
    let file = BufReader::new(File::open(dir.join(JSONL))?);
    let mut out = HashMap::new();
    for (at, line) in file.lines().enumerate() {
        let line = line?;
        let row: JsonRow = serde_json::from_str(&line).map_err(|error| {
            Error::Internal(format!(
                "label set v{} {JSONL} line {}: {error}",
                manifest.version,
                at + 1
            ))
        })?;
        let labels = row
            .labels
            .into_iter()
            .map(|(question, cell)| (question.into_owned(), cell.label))
            .collect();
        out.insert(
            row.study_id.into_owned(),
            StudyEntry {
                split: row.split.into_owned(),
                labels,
            },
        );
    }
    Ok(out)
}

/// The folder of a label set that links each study to its images.
pub const IMAGES: &str = "images";

/// Makes `images/<study_id>` in `dir` a symbolic link to each study's images where they are in the
/// hospital (a DICOM folder, a NIfTI file): the label set's files name the link, and a training job
/// follows it on a host that sees the image archive. The links are not in the manifest (they are
/// locations, not content) and are never downloaded.
pub fn link_images(dir: &Path, rows: &[Row]) -> Result<()> {
    let with_images: Vec<(&String, &String)> = rows
        .iter()
        .filter_map(|row| Some((&row.study_id, row.image_location.as_ref()?)))
        .collect();
    if with_images.is_empty() {
        return Ok(());
    }
    let images = dir.join(IMAGES);
    std::fs::create_dir(&images)?;
    for (study_id, location) in with_images {
        std::os::unix::fs::symlink(location, images.join(study_id))?;
    }
    Ok(())
}
