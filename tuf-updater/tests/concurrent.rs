//! One refreshed updater shared by many tasks: searches and downloads run at once, each
//! delegated role is fetched once however many tasks need it, and a slow role holds up only
//! the searches that need it.

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::sim::Sim;
use support::{Serve, Server};
use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig};

async fn refreshed(sim: &Sim, server: &Server, work: &std::path::Path) -> Arc<Updater> {
    let mdir = work.join("metadata");
    Updater::init(&mdir, &sim.root_v1()).unwrap();
    let mut config = UpdaterConfig::new(
        &mdir,
        vec![server.url("metadata/")],
        vec![server.url("targets/")],
    );
    config.target_dir = Some(work.join("targets"));
    let fetcher =
        Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
    let mut u = Updater::new(config, fetcher).unwrap();
    u.refresh().await.unwrap();
    Arc::new(u)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_updater_and_each_role_is_fetched_once() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let mut sim = Sim::new();
        for r in 0..4 {
            sim.delegate("targets", &format!("r{r}"), &[&format!("r{r}/*")], false);
            for i in 0..8 {
                sim.add_target(
                    &format!("r{r}"),
                    &format!("r{r}/{i}.txt"),
                    format!("{r}.{i}").as_bytes(),
                );
            }
        }
        sim.publish();
        let server = Server::start(sim.path().to_owned()).await;
        let work = tempfile::tempdir().unwrap();
        let u = refreshed(&sim, &server, work.path()).await;
        let _ = server.log.take();

        let mut tasks = Vec::new();
        for r in 0..4 {
            for i in 0..8 {
                let u = u.clone();
                tasks.push(tokio::spawn(async move {
                    let info = u.target_info(&format!("r{r}/{i}.txt")).await.unwrap();
                    let path = u.download_target(&info).await.unwrap();
                    assert_eq!(std::fs::read(path).unwrap(), format!("{r}.{i}").as_bytes());
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let log = server.log.take();
        for r in 0..4 {
            let fetched = log
                .iter()
                .filter(|p| p.ends_with(&format!(".r{r}.json")))
                .count();
            assert_eq!(
                fetched, 1,
                "r{r} fetched {fetched} times by 8 tasks: {log:?}"
            );
        }
        assert_eq!(
            log.iter().filter(|p| p.starts_with("/targets/")).count(),
            32
        );
        // The roles loaded by the tasks are in the trusted set seen afterwards.
        assert!(u.trusted().unwrap().role("r3").is_some());
    })
    .await
    .expect("test took longer than 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_role_holds_up_only_the_searches_that_need_it() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let mut sim = Sim::new();
        sim.delegate("targets", "slow", &["slow/*"], false);
        sim.delegate("targets", "fast", &["fast/*"], false);
        sim.add_target("slow", "slow/x.txt", b"x");
        sim.add_target("fast", "fast/y.txt", b"y");
        sim.publish();
        let server = Server::start(sim.path().to_owned()).await;
        let work = tempfile::tempdir().unwrap();
        let u = refreshed(&sim, &server, work.path()).await;
        // The slow role's file trickles out a byte a millisecond (well under a second in
        // all, so the client's slow-retrieval limits do not apply).
        let slow_file = "1.slow.json";
        let bytes = std::fs::read(sim.meta_path(slow_file)).unwrap();
        assert!(bytes.len() > 300, "the trickle must take a while");
        server.set(&format!("/metadata/{slow_file}"), Serve::Trickle(bytes, 1));

        let slow = {
            let u = u.clone();
            tokio::spawn(async move { u.target_info("slow/x.txt").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let info = u.target_info("fast/y.txt").await.unwrap();
        u.download_target(&info).await.unwrap();
        assert!(
            !slow.is_finished(),
            "the fast search finished in {:?}, after the slow one: it waited",
            started.elapsed()
        );
        assert_eq!(slow.await.unwrap().unwrap().length(), 1);
    })
    .await
    .expect("test took longer than 60 s");
}
