-- Benchmark volume on top of the reference data loaded by `territoires migrate`
-- (7 territories, 36 communes, 7 coordinators, 98 collèges, 9 themes):
--   300 partners (+ ~450 recorded expectations),
--   100 local bodies with their representatives,
--   1,000 projects with axes, environments, themes and links to territories, communes,
--   collèges and partners, spread evenly across the 7 territories.
--
-- Deterministic (no random()): two runs give the same rows, so figures are comparable.
-- Every project is linked directly (project_territories) to each territory of its
-- communes and collèges, so "projects of a territory" is the same set whether a server
-- follows the direct link only (PostGraphile) or also communes and collèges
-- (Territoires). Nothing is archived: public and full views see the same rows.
--
-- Run on a freshly migrated database:
--   psql -v ON_ERROR_STOP=1 -X -q -f bench/seed.sql postgres://…/territoires_bench

\set ON_ERROR_STOP on
BEGIN;

-- Numbered views of the reference data (n = 1..count, per territory where useful).
CREATE TEMP TABLE seed_communes ON COMMIT DROP AS
SELECT c.id, c.name, c.territory_id, t.number AS territory_number,
       row_number() OVER (PARTITION BY c.territory_id ORDER BY c.insee_code) AS n_in_territory,
       count(*) OVER (PARTITION BY c.territory_id) AS in_territory,
       row_number() OVER (ORDER BY c.insee_code) AS n
FROM communes c JOIN territories t ON t.id = c.territory_id;

CREATE TEMP TABLE seed_colleges ON COMMIT DROP AS
SELECT co.id, co.commune_id, c.territory_id,
       row_number() OVER (PARTITION BY co.commune_id ORDER BY co.uai) AS n_in_commune,
       count(*) OVER (PARTITION BY co.commune_id) AS in_commune
FROM colleges co JOIN communes c ON c.id = co.commune_id;

CREATE TEMP TABLE seed_current ON COMMIT DROP AS
SELECT DISTINCT ON (a.territory_id) a.territory_id, a.coordinator_id
FROM coordinator_assignments a JOIN coordinators k ON k.id = a.coordinator_id
WHERE a.ended_at IS NULL AND k.active
ORDER BY a.territory_id, a.started_at, a.id;

CREATE TEMP TABLE seed_themes ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY position, id) AS n, count(*) OVER () AS total
FROM themes WHERE archived_at IS NULL;

-- Partners: 300, every commune gets some; one in five works at territory level only.
WITH rows AS (
  SELECT g, c.*
  FROM generate_series(1, 300) g
  JOIN seed_communes c ON c.n = 1 + (g * 7) % 36
)
INSERT INTO partners (name, kind, territory_id, commune_id, contact_name, contact_email,
                      contact_phone, created_at, updated_at)
SELECT
  (ARRAY['Association Jeunesse', 'Service jeunesse de la ville', 'Club de prévention',
         'Compagnie théâtrale', 'Centre social', 'Maison de quartier', 'Espace santé jeunes',
         'Conseil municipal des jeunes', 'Point information jeunesse', 'Ludothèque'])[1 + g % 10]
    || ' ' || r.name || ' n°' || g,
  (ARRAY['ASSOCIATION', 'YOUTH_SERVICE', 'SPECIALISED_PREVENTION', 'PROJECT_LEADER',
         'ASSOCIATION', 'ASSOCIATION', 'OTHER', 'MUNICIPALITY', 'YOUTH_SERVICE',
         'COLLEGE'])[1 + g % 10],
  r.territory_id,
  CASE WHEN g % 5 = 0 THEN NULL ELSE r.id END,
  (ARRAY['Camille', 'Nadia', 'Julien', 'Sofiane', 'Claire', 'Mamadou', 'Léa', 'Thomas',
         'Inès', 'Karim'])[1 + g % 10] || ' ' ||
  (ARRAY['Martin', 'Bernard', 'Haddad', 'Diallo', 'Lefèvre', 'Moreau', 'Nguyen', 'Roux',
         'Benali', 'Fontaine', 'Girard'])[1 + g % 11],
  'contact' || g || '@partenaire' || (1 + g % 17) || '.example.org',
  '+336' || lpad(((g * 7919) % 100000000)::text, 8, '0'),
  now() - (g || ' hours')::interval,
  now() - (g || ' minutes')::interval
FROM rows r
ORDER BY g;

CREATE TEMP TABLE seed_partners ON COMMIT DROP AS
SELECT id, territory_id,
       row_number() OVER (PARTITION BY territory_id ORDER BY id) AS n_in_territory,
       count(*) OVER (PARTITION BY territory_id) AS in_territory
FROM partners WHERE archived_at IS NULL;

INSERT INTO partner_expectations (partner_id, text, recorded_on, created_at)
SELECT p.id,
       (ARRAY['Être associé au comité de pilotage du CLSPD',
              'Un relais vers les collèges du secteur pour les ateliers',
              'Des créneaux de salle le mercredi après-midi',
              'Un financement pour l''action de prévention des rixes',
              'Une formation des animateurs aux réseaux sociaux'])[1 + (p.id + k) % 5],
       date '2025-09-01' + ((p.id * 13 + k * 29) % 400),
       now()
FROM seed_partners p
CROSS JOIN generate_series(1, 2) k
WHERE k = 1 OR p.id % 2 = 0;

-- Local bodies: 100, in a commune of each territory, a third tied to a collège.
WITH rows AS (
  SELECT g, c.id AS commune_id, c.name AS commune_name, c.territory_id,
         (ARRAY['CLSPD', 'CESC', 'STEERING_COMMITTEE', 'MANAGEMENT_DIALOGUE', 'CISPD',
                'OTHER'])[1 + g % 6] AS kind
  FROM generate_series(1, 100) g
  JOIN seed_communes c ON c.n = 1 + (g * 11) % 36
)
INSERT INTO local_bodies (kind, name, description, territory_id, commune_id, college_id,
                          created_at, updated_at)
SELECT r.kind,
       CASE r.kind
         WHEN 'CLSPD' THEN 'CLSPD de ' || r.commune_name
         WHEN 'CISPD' THEN 'CISPD du secteur de ' || r.commune_name
         WHEN 'CESC' THEN 'CESC inter-établissements de ' || r.commune_name
         WHEN 'STEERING_COMMITTEE' THEN 'Comité de pilotage jeunesse de ' || r.commune_name
         WHEN 'MANAGEMENT_DIALOGUE' THEN 'Dialogue de gestion ' || r.commune_name
         ELSE 'Groupe de travail parentalité ' || r.commune_name
       END || ' (' || g || ')',
       'Instance suivie par la coordination de territoire.',
       r.territory_id,
       r.commune_id,
       CASE WHEN g % 3 = 0 THEN
         (SELECT co.id FROM seed_colleges co
          WHERE co.commune_id = r.commune_id
          ORDER BY co.n_in_commune LIMIT 1)
       END,
       now() - (g || ' days')::interval,
       now() - (g || ' hours')::interval
FROM rows r
ORDER BY g;

INSERT INTO local_body_representatives (local_body_id, coordinator_id)
SELECT lb.id, cur.coordinator_id
FROM local_bodies lb JOIN seed_current cur ON cur.territory_id = lb.territory_id;

-- Projects: 1,000, primary territory round-robin; one to three communes of it; one in
-- ten also spans a commune of another territory (inter-territory); most have a collège.
CREATE TEMP TABLE seed_projects (g int PRIMARY KEY, id int, territory_number int)
ON COMMIT DROP;

WITH inserted AS (
  INSERT INTO projects (title, summary, status, unit, lead_coordinator_id, start_date,
                        end_date, created_at, updated_at)
  SELECT
    (ARRAY['Prévention des rixes', 'Harcèlement et réseaux sociaux', 'Parentalité numérique',
           'Persévérance scolaire', 'Conseil des jeunes', 'Santé mentale des collégiens',
           'Sport et citoyenneté', 'Médiation par les pairs', 'Forum des métiers',
           'Éducation aux médias', 'Prévention des addictions', 'Élèves exclus temporairement',
           'Égalité filles-garçons'])[1 + g % 13]
      || ' — territoire ' || (1 + g % 7) || ' — ' || g,
    'Action transversale menée avec les acteurs locaux (projet ' || g || ').',
    (ARRAY['IDEA', 'PLANNED', 'IN_PROGRESS', 'IN_PROGRESS', 'DONE', 'CANCELLED',
           'IN_PROGRESS', 'PLANNED'])[1 + g % 8],
    CASE WHEN g % 9 = 0 THEN NULL ELSE
      (ARRAY['EDUCATIONAL_MEDIATION', 'TERRITORIAL_EDUCATION_PROJECTS',
             'PREVENTION_CITIZENSHIP'])[1 + g % 3] END,
    CASE WHEN g % 12 = 0 THEN NULL ELSE
      (SELECT cur.coordinator_id FROM seed_current cur
       JOIN territories t ON t.id = cur.territory_id WHERE t.number = 1 + g % 7) END,
    date '2024-09-01' + (g * 3) % 500,
    CASE WHEN g % 4 = 0 THEN NULL ELSE date '2024-09-01' + (g * 3) % 500 + 30 + g % 300 END,
    now() - ((g * 37) % 20000 || ' minutes')::interval,
    now() - ((g * 53) % 10000 || ' minutes')::interval
  FROM generate_series(1, 1000) g
  ORDER BY g
  RETURNING id
)
INSERT INTO seed_projects (g, id, territory_number)
SELECT row_number() OVER (ORDER BY id), id, 0 FROM inserted;
UPDATE seed_projects SET territory_number = 1 + g % 7;

-- Communes of each project.
WITH picks AS (
  SELECT p.id AS project_id, p.g, p.territory_number, k
  FROM seed_projects p
  CROSS JOIN generate_series(1, 3) k
  WHERE k = 1 OR (k = 2 AND p.g % 3 <> 1) OR (k = 3 AND p.g % 5 = 0)
)
INSERT INTO project_communes (project_id, commune_id)
SELECT DISTINCT pk.project_id, c.id
FROM picks pk
JOIN seed_communes c
  ON c.territory_number = pk.territory_number
 AND c.n_in_territory = 1 + (pk.g * 3 + pk.k * 5) % c.in_territory;

-- One in ten also reaches into the next territory.
INSERT INTO project_communes (project_id, commune_id)
SELECT p.id, c.id
FROM seed_projects p
JOIN seed_communes c
  ON c.territory_number = 1 + (p.territory_number % 7)
 AND c.n_in_territory = 1 + p.g % c.in_territory
WHERE p.g % 10 = 7
ON CONFLICT DO NOTHING;

-- A collège of one of its communes for 70 % of the projects.
INSERT INTO project_colleges (project_id, college_id)
SELECT p.id,
       (SELECT co.id FROM seed_colleges co
        WHERE co.commune_id = pc.commune_id
          AND co.n_in_commune = 1 + p.g % co.in_commune)
FROM seed_projects p
JOIN LATERAL (SELECT commune_id FROM project_communes x
              WHERE x.project_id = p.id ORDER BY commune_id LIMIT 1) pc ON true
WHERE p.g % 10 < 7
  AND EXISTS (SELECT 1 FROM seed_colleges co WHERE co.commune_id = pc.commune_id);

-- Direct territory links: every territory of its communes and collèges.
INSERT INTO project_territories (project_id, territory_id)
SELECT pc.project_id, c.territory_id
FROM project_communes pc JOIN communes c ON c.id = pc.commune_id
JOIN seed_projects p ON p.id = pc.project_id
UNION
SELECT px.project_id, c.territory_id
FROM project_colleges px JOIN colleges co ON co.id = px.college_id
JOIN communes c ON c.id = co.commune_id
JOIN seed_projects p ON p.id = px.project_id;

-- One to four partners of its primary territory.
INSERT INTO project_partners (project_id, partner_id)
SELECT DISTINCT p.id, sp.id
FROM seed_projects p
JOIN territories t ON t.number = p.territory_number
CROSS JOIN generate_series(1, 4) k
JOIN seed_partners sp
  ON sp.territory_id = t.id
 AND sp.n_in_territory = 1 + (p.g * 7 + k * 13) % sp.in_territory
WHERE k <= 1 + p.g % 4;

-- Axes (1–3), environments (1–2), themes (1–3).
INSERT INTO project_axes (project_id, axis)
SELECT p.id, (ARRAY['WELLBEING', 'SCHOOL_PERSEVERANCE', 'CITIZENSHIP'])[1 + (p.g + k) % 3]
FROM seed_projects p CROSS JOIN generate_series(0, 2) k
WHERE k <= p.g % 3;

INSERT INTO project_environments (project_id, environment)
SELECT p.id, (ARRAY['FAMILY', 'SCHOOL', 'NEIGHBOURHOOD'])[1 + (p.g + k) % 3]
FROM seed_projects p CROSS JOIN generate_series(0, 1) k
WHERE k <= p.g % 2;

INSERT INTO project_themes (project_id, theme_id)
SELECT DISTINCT p.id, th.id
FROM seed_projects p CROSS JOIN generate_series(0, 2) k
JOIN seed_themes th ON th.n = 1 + (p.g * 5 + k * 2) % th.total
WHERE k <= (p.g / 3) % 3;

-- Running servers reload their in-memory directory.
UPDATE data_version SET version = version + 1;

COMMIT;

ANALYZE;
