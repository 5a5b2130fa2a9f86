package com.acme.ats;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

@Component
public class GreenhouseGateway {
    private final WebClient web;

    public GreenhouseGateway(@Value("${greenhouse.base-url}") String baseUrl,
                             @Value("${greenhouse.api-key}") String apiKey) {
        this.web = WebClient.builder()
            .baseUrl(baseUrl)
            .defaultHeaders(h -> h.setBasicAuth(apiKey, ""))
            .build();
    }

    public Mono<String> candidate(long id) {
        return web.get().uri("/candidates/{id}", id).retrieve().bodyToMono(String.class);
    }

    public Mono<String> interviewers(long scheduledInterviewId) {
        return web.get().uri("/scheduled_interviews/{id}", scheduledInterviewId).retrieve().bodyToMono(String.class);
    }

    public Mono<String> addEducation(long candidateId, Object education, long actingUser) {
        return web.post()
            .uri("/candidates/{id}/educations", candidateId)
            .header("On-Behalf-Of", Long.toString(actingUser))
            .bodyValue(education)
            .retrieve()
            .bodyToMono(String.class);
    }
}
