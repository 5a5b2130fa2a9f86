<?php

namespace Acme\Bridge;

use Greenhouse\GreenhouseToolsPhp\GreenhouseService;

class Importer
{
    private $harvest;

    public function __construct(string $apiKey)
    {
        $service = new GreenhouseService(['apiKey' => $apiKey]);
        $this->harvest = $service->getHarvestService();
    }

    public function run(): array
    {
        $jobs = json_decode($this->harvest->getJobs(['per_page' => 100]), true);
        $users = json_decode($this->harvest->getUsers(), true);
        $offers = json_decode($this->harvest->getOffersForApplication(['id' => 12]), true);
        return [$jobs, $users, $offers];
    }

    public function note(int $candidateId, int $userId, string $body): void
    {
        $this->harvest->postActivityFeedNotesForCandidate(
            ['id' => $candidateId, 'body' => $body, 'visibility' => 'private'],
            ['On-Behalf-Of' => $userId]
        );
    }
}
